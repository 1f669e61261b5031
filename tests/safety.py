"""What no rendered card may contain: live script, event handlers, javascript: links."""

from __future__ import annotations

from html.parser import HTMLParser


class _LiveContent(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.found.append(f"{tag} {name}=")
            scheme = (value or "").strip().lower().replace("\t", "")
            if name.lower() in ("href", "src", "action", "formaction") and scheme.startswith(
                    ("javascript:", "data:", "vbscript:")):
                self.found.append(f"{tag} {name}={value}")


def live_content(html_text: str) -> list[str]:
    """Every way `html_text` could run code in a card viewer."""
    parser = _LiveContent()
    parser.feed(html_text)
    parser.close()
    return parser.found
