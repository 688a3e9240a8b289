#!/bin/sh
# Store one integration secret in the environment's Key Vault (value read from stdin, never from argv)
# and add it to AIOPS_KEYVAULT_SECRETS, so the next `azd provision` turns its app setting into a Key Vault reference.
set -eu

usage="usage: infra/hooks/set-secret.sh gemini-api-key|jira-api-token|jira-webhook-secret|slack-bot-token|slack-signing-secret|databricks-token"
name=${1:?$usage}
case $name in
  gemini-api-key|jira-api-token|jira-webhook-secret|slack-bot-token|slack-signing-secret|databricks-token) ;;
  *) echo "$usage" >&2; exit 2 ;;
esac

vault=$(azd env get-value AZURE_KEY_VAULT_NAME)
if [ -t 0 ]; then
  printf 'Value for %s (not echoed): ' "$name" >&2
  stty -echo
  trap 'stty echo' EXIT
  IFS= read -r value
  stty echo
  printf '\n' >&2
else
  IFS= read -r value || true
fi
[ -n "$value" ] || { echo "empty value, nothing stored" >&2; exit 2; }

# --file keeps the value out of the process list; /dev/stdin is the pipe below.
printf '%s' "$value" | az keyvault secret set --vault-name "$vault" --name "$name" --file /dev/stdin --encoding utf-8 --output none
unset value

current=$(azd env get-values | sed -n 's/^AIOPS_KEYVAULT_SECRETS="\(.*\)"$/\1/p')
case ",$current," in
  *",$name,"*) ;;
  *) azd env set AIOPS_KEYVAULT_SECRETS "${current:+$current,}$name" ;;
esac
echo "Stored $name in $vault. Run 'azd provision' to point the app setting at it." >&2
