"""Dunning: the ladder run over overdue services, restoration once arrears clear, bill holds, account tags
and the write-off proposals at the end of the ladder."""
