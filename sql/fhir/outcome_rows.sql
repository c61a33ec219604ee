-- What became of the resources of the FHIR batch just mapped (for validate and the run's log).
select resource_type, outcome, reason, resources from fhir_outcomes
