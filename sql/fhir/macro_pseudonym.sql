-- HMAC-SHA256 of a text with the network key, in hex (RFC 2104 from DuckDB's sha256: H(opad || H(ipad || m))),
-- vectorised over a column; the pads are session variables set from the key outside the warehouse.
create or replace temp macro fhir_pseudonym(v) as
    sha256(getvariable('fhir_opad') || unhex(sha256(getvariable('fhir_ipad') || encode(v))))
