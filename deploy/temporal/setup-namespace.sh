#!/bin/sh
# Creates the namespace and registers progreg's search attributes; safe to re-run.
set -eu
ns=${TEMPORAL_NAMESPACE:-default}
until temporal operator cluster health; do sleep 2; done
temporal operator namespace describe -n "$ns" >/dev/null 2>&1 || temporal operator namespace create -n "$ns" --retention 30d
for pair in RegistrationStatus:Keyword ProgramCode:Keyword StudyLevel:Keyword StudentCategory:Keyword CohortId:Keyword RegistrationDeadline:Datetime OutstandingItems:KeywordList; do
  name=${pair%%:*}; type=${pair#*:}
  temporal operator search-attribute list -n "$ns" | grep -qw "$name" \
    || temporal operator search-attribute create -n "$ns" --name "$name" --type "$type"
done
