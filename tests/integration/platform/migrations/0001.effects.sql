-- A tiny service used only to test the platform: a change, and the effect its event causes.
CREATE TABLE thing (id UUID PRIMARY KEY, label TEXT NOT NULL);
CREATE TABLE effect (thing_id UUID NOT NULL, event_id UUID NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT now());
