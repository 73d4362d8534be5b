#!/usr/bin/env bash
# Adds Tenantfold's steps to a running EMR cluster and waits for them; exits with the job's status.
#
#   emr/submit.sh CLUSTER_ID [STEPS_FILE]        # STEPS_FILE defaults to emr/steps.json, placeholders filled in
#
# Exit code: 0 when every step COMPLETED. Otherwise the Tenantfold exit code of the first step that did not
# (3: a tenant failed validation and was not published; 1: an error), read from the step's logs under the
# cluster's LogUri: the YARN diagnostics spark-submit printed ("User application exited with status N",
# cluster mode) or the job's summary ("(exit code N)", client mode); 1 when the logs are not there yet
# (EMR uploads step logs every few minutes). A step that EMR
# cancelled (the run failed, ActionOnFailure CANCEL_AND_WAIT) is reported, not waited for.
set -euo pipefail
cluster="${1:?usage: emr/submit.sh CLUSTER_ID [STEPS_FILE]}"
steps_file="${2:-$(dirname "${BASH_SOURCE[0]}")/steps.json}"
poll="${TENANTFOLD_POLL_SECONDS:-30}"
if grep -q '<[A-Z_]*>' "$steps_file"; then
  echo "submit.sh: $steps_file still holds placeholders (see emr/README.md):" >&2
  grep -o '<[A-Z_]*>' "$steps_file" | sort -u >&2
  exit 2
fi

read -r -a step_ids <<<"$(aws emr add-steps --cluster-id "$cluster" --steps "file://$steps_file" --query 'StepIds' --output text)"
echo "Added steps ${step_ids[*]} to $cluster" >&2

job_status() {  # the Tenantfold exit code of a failed step, from its logs under the LogUri; else 1
  local step="$1" log_uri code
  log_uri="$(aws emr describe-cluster --cluster-id "$cluster" --query 'Cluster.LogUri' --output text)"
  # Cluster mode (run): YARN's diagnostics, which spark-submit prints. Client mode (validate, cleanup): the summary.
  code="$(aws s3 cp "${log_uri%/}/$cluster/steps/$step/stderr.gz" - 2>/dev/null | gunzip -c 2>/dev/null \
    | grep -o 'User application exited with status [0-9]*' | tail -n 1 | grep -o '[0-9]*$' || true)"
  if [[ -z "$code" ]]; then
    code="$(aws s3 cp "${log_uri%/}/$cluster/steps/$step/stdout.gz" - 2>/dev/null | gunzip -c 2>/dev/null \
      | grep -o '(exit code [0-9]*)' | tail -n 1 | grep -o '[0-9]*' || true)"
  fi
  echo "${code:-1}"
}

for step in "${step_ids[@]}"; do
  while true; do
    state="$(aws emr describe-step --cluster-id "$cluster" --step-id "$step" --query 'Step.Status.State' --output text)"
    case "$state" in
      COMPLETED) echo "$step COMPLETED" >&2; break ;;
      FAILED | CANCELLED | INTERRUPTED)
        aws emr describe-step --cluster-id "$cluster" --step-id "$step" \
          --query 'Step.{name:Name,state:Status.State,reason:Status.FailureDetails.Reason,message:Status.FailureDetails.Message,log:Status.FailureDetails.LogFile}' \
          --output table >&2 || true
        if [[ "$state" == FAILED ]]; then exit "$(job_status "$step")"; fi
        exit 1 ;;
      *) sleep "$poll" ;;
    esac
  done
done
