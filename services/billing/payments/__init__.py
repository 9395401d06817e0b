"""Counter payments: money taken at a counter, its receipt, the clerk's daily closing, and a supervisor's
corrections (refunds, adjustments). Pure rules in rules.py, SQL in store.py, use cases in handlers.py."""
