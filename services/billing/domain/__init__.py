"""Billing's pure rules: rating and proration, state machines, the dunning ladder, the debit retry
policy. No I/O here; the store and the billing run are tested against these."""
