-- Forget the outer key pad once a batch is mapped.
reset variable fhir_opad  -- noqa: PRS
