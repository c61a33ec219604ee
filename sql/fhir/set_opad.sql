-- The outer pad of the network key (key XOR 0x5c, 64 bytes) for fhir_pseudonym; bound, never written anywhere.
set variable fhir_opad = $opad
