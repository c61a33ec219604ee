-- Forget the key pads once a batch is mapped (nothing of the key outlives the reading).
reset variable fhir_ipad  -- noqa: PRS
