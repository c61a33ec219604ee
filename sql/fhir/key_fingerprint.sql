-- The fingerprint of the network key this warehouse's FHIR pseudonyms were made with (none before first use).
select min(fingerprint) from audit.network_key
