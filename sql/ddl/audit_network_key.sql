-- audit.network_key: the fingerprint (HMAC-SHA256 of a fixed text) of the network's secret key that made
-- this warehouse's FHIR pseudonyms; never the key itself, which lives outside the warehouse (docs/fhir.md).
create table if not exists audit.network_key (fingerprint varchar not null, first_used_at timestamp not null)
