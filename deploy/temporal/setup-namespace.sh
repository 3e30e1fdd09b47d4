#!/bin/sh
# One-shot (the `temporal-setup` service): the namespace runs live in, and the search attributes
# the engine writes (src/protocol/searchAttributes.ts). Safe to run again.
set -eu
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"

until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  echo "waiting for Temporal at $TEMPORAL_ADDRESS"
  sleep 1
done

temporal operator namespace describe --namespace "$NAMESPACE" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 ||
  temporal operator namespace create --namespace "$NAMESPACE" --retention 72h --address "$TEMPORAL_ADDRESS"

for attribute in PipelineName=Keyword PipelineVersion=Keyword PipelineTags=KeywordList PipelinePriority=Int; do
  temporal operator search-attribute create --namespace "$NAMESPACE" --address "$TEMPORAL_ADDRESS" \
    --name "${attribute%%=*}" --type "${attribute#*=}" || echo "search attribute ${attribute%%=*} exists"
done
echo "namespace $NAMESPACE is ready"
