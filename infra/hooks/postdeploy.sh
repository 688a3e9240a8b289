#!/bin/sh
# After `azd deploy`: create the per-caller function keys once, then provision again with the action group on.
# Keys never reach stdout: `az` output is discarded and the key values stay inside Resource Manager.
set -eu

: "${AZURE_RESOURCE_GROUP:?run through azd (azd up / azd deploy)}"
: "${AZURE_FUNCTION_APP_NAME:?run through azd (azd up / azd deploy)}"
rg=$AZURE_RESOURCE_GROUP
app=$AZURE_FUNCTION_APP_NAME

has_key() {
  [ -n "$(az functionapp keys list -g "$rg" -n "$app" --query "functionKeys.$1" -o tsv 2>/dev/null || true)" ]
}

# The host writes its keys when it first starts with the new package; give it a few minutes.
tries=0
until has_key default; do
  tries=$((tries + 1))
  if [ "$tries" -gt 30 ]; then
    echo "postdeploy: the Functions host of $app has no keys yet; run 'azd hooks run postdeploy' later." >&2
    exit 1
  fi
  sleep 10
done

# One key per caller, so each can be rotated alone: Azure Monitor (action group) and Databricks.
for key in azuremonitor databricks; do
  if ! has_key "$key"; then
    az functionapp keys set -g "$rg" -n "$app" --key-type functionKeys --key-name "$key" --output none
    echo "postdeploy: created function key '$key'."
  fi
done

if [ "${AIOPS_ALERT_WEBHOOK_ENABLED:-false}" != "true" ]; then
  azd env set AIOPS_ALERT_WEBHOOK_ENABLED true
  echo "postdeploy: provisioning again to create the action group webhook and alert rules."
  azd provision --no-prompt
fi
