-- Forget the record of the episode build before a full rebuild (written again when it is done):
-- an interrupted rebuild then leaves no record, and the next build is a full one.
drop table if exists audit.episode_inputs
