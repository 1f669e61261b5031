"""Key point → cloze targets, a question and context labels (`plan.plan_cards` is the entry point).

Nothing is imported here: a build whose sources did not change never loads the card maker.
"""
