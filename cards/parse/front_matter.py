"""YAML front matter, read within bounds.

YAML's aliases let a few hundred bytes stand for gigabytes: `a: &a [x, x]`,
`b: &b [*a, *a]`, … doubles at every line. PyYAML builds such a document
cheaply, as objects that share their parts, but everything that later turns
it into text (a tag list, a title) pays for every copy. So the document is
checked between YAML's two steps, as a graph of nodes and before any object
is built: its size with every alias expanded, and how deep it nests.

Imported only when a source with front matter is read (see
`cards.parse.text.split_front_matter`), so that start-up does not load YAML.
"""

from __future__ import annotations

from typing import Any

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler

# Snipd writes a few hundred bytes of front matter; 64 KB is room for any a person would write.
MAX_SIZE = 64 * 1024  # characters of the block, and nodes plus scalar characters with aliases expanded
MAX_DEPTH = 32  # lists and mappings within one another: Snipd's go two deep

TOO_LARGE = "front matter is over 64 KB (Snipd writes a few hundred bytes); shorten it to build this file"
ALIASES = ("front matter's YAML aliases (*name) expand it past 64 KB; write the values out instead "
           "to build this file")
TOO_DEEP = "front matter nests lists or mappings more than 32 deep; flatten it to build this file"

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when the wheel has it


class OverBounds(Exception):
    """The front matter is larger or deeper than any note needs; the message says which."""


class _BoundedYAML(YAMLHandler):
    """python-frontmatter's YAML handler, checking the node graph before building objects."""

    def load(self, fm: str, **kwargs: object) -> Any:
        loader = _Loader(fm)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            check_bounds(node)
            return loader.construct_document(node)
        except RecursionError:  # PyYAML's pure-Python parser, without libyaml, recurses per level
            raise OverBounds(TOO_DEEP) from None
        finally:
            loader.dispose()


def load_front_matter(header: str) -> dict[Any, Any]:
    """The mapping in a `---` … `---` header; `OverBounds` when it is over the bounds.

    YAML's own errors (`yaml.YAMLError`, and ValueError or TypeError from
    building odd values) are the caller's to handle.
    """
    if len(header) > MAX_SIZE:
        raise OverBounds(TOO_LARGE)
    meta, _ = frontmatter.parse(header, handler=_BoundedYAML())
    return meta


def check_bounds(root: yaml.Node) -> None:
    """Raise `OverBounds` when the document, aliases expanded, is over `MAX_SIZE` or `MAX_DEPTH`.

    A walk of the graph that measures each list and mapping once (an alias is
    a shared node, counted in full wherever it is used) and keeps its own
    stack, so that neither a bomb nor deep nesting costs more than the
    graph's size. An alias within its own anchor (`a: &a [*a]`) never ends:
    over the bounds.
    """
    if isinstance(root, yaml.ScalarNode):
        return  # no larger than the text, which is within bounds
    measured: dict[int, tuple[int, int]] = {}  # id(node) → (size expanded, lists and mappings deep)
    open_nodes: set[int] = set()  # the path from the root to the node being measured
    stack: list[tuple[yaml.Node, list[yaml.Node] | None]] = [(root, None)]
    while stack:
        node, children = stack.pop()
        if children is not None:  # its lists and mappings are measured: measure it
            open_nodes.discard(id(node))
            size, depth = 1, 0
            for child in children:
                if isinstance(child, yaml.ScalarNode):
                    size += 1 + len(child.value)
                else:
                    child_size, child_depth = measured[id(child)]
                    size, depth = size + child_size, max(depth, child_depth)
            if size > MAX_SIZE:
                raise OverBounds(ALIASES)
            if depth >= MAX_DEPTH:
                raise OverBounds(TOO_DEEP)
            measured[id(node)] = (size, depth + 1)
        elif id(node) in open_nodes:
            raise OverBounds(ALIASES)
        elif id(node) not in measured:
            open_nodes.add(id(node))
            children = node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
            stack.append((node, children))
            stack.extend((child, None) for child in children if not isinstance(child, yaml.ScalarNode))
