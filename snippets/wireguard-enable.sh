kubectl patch felixconfiguration default \
  --type=merge \
  -p '{"spec":{"wireguardEnabled":true}}'
