-- The match review queue pages by status, best score first: at 30,000 pending pairs a page was a sort
-- of them all.
CREATE INDEX match_candidate_queue ON match_candidate (status, score DESC, id);
