-- The inner pad of the network key (key XOR 0x36, 64 bytes) for fhir_pseudonym; bound, never written anywhere.
set variable fhir_ipad = $ipad
