{{/* Names and labels (the usual app.kubernetes.io set). */}}
{{- define "itrade.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "itrade.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gateway
{{- end -}}

{{- define "itrade.labels" -}}
{{ include "itrade.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "itrade.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "itrade.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding jwt-secret, redis-url and rpc-url. */}}
{{- define "itrade.secretName" -}}
{{- if .Values.secrets.existingSecret -}}
{{- .Values.secrets.existingSecret -}}
{{- else if .Values.secrets.create -}}
{{- include "itrade.fullname" . -}}
{{- else if eq .Values.jwt.alg "HS256" -}}
{{- fail "secrets: set secrets.existingSecret (a Secret with key jwt-secret) or secrets.create with secrets.jwtSecret" -}}
{{- end -}}
{{- end -}}

{{/*
A value taken from the Secret when it has the key, else from values: `${VAR}` when values has
none (the gateway then fails at start-up naming the key if the Secret lacks it too), else
`${VAR:-value}`.
*/}}
{{- define "itrade.fromEnv" -}}
{{- if .value -}}
{{- printf "${%s:-%s}" .var .value -}}
{{- else -}}
{{- printf "${%s}" .var -}}
{{- end -}}
{{- end -}}

{{/* Fixed container ports: the Services map their own port numbers onto these. */}}
{{- define "itrade.ports" -}}
{{- dict "mqtt" 11883 "tls" 18883 "ws" 18083 "http" 18080 "operator" 18090 | toJson -}}
{{- end -}}

{{- define "itrade.graceSeconds" -}}
{{- add .Values.shutdown.preStopSleepSeconds (div (add .Values.shutdown.timeoutMs 999) 1000) 5 -}}
{{- end -}}

{{/*
The operator's YAML: what the chart knows, with .Values.config merged over it. The marketplace
address comes through the environment: written into YAML unquoted, 0x... would be read as a
hexadecimal number.
*/}}
{{- define "itrade.config" -}}
{{- $p := include "itrade.ports" . | fromJson -}}
{{- $v := .Values -}}
{{- if not $v.kafka.brokers }}{{ fail "kafka.brokers: list the Kafka bootstrap brokers (host:port)" }}{{ end -}}
{{- if not $v.chain.marketplace }}{{ fail "chain.marketplace: the DataMarketplace address is required (itrade deploy prints it)" }}{{ end -}}
{{- if lt (int $v.shutdown.timeoutMs) (mul 2 (int $v.shutdown.drainTimeoutMs)) -}}
{{- fail "shutdown.timeoutMs must be at least twice shutdown.drainTimeoutMs (in-flight publishes, then the bridge's buffer, each get drainTimeoutMs)" -}}
{{- end -}}
{{- if and $v.tls.enabled (not $v.tls.secretName) }}{{ fail "tls.secretName: name the kubernetes.io/tls Secret of the MQTT TLS listener" }}{{ end -}}
{{- if and (eq $v.jwt.alg "ES256") (not $v.jwt.keySecret) }}{{ fail "jwt.keySecret: ES256 needs a Secret with private.pem and public.pem" }}{{ end -}}
{{- $jwt := dict "alg" $v.jwt.alg "issuer" $v.jwt.issuer "audience" $v.jwt.audience -}}
{{- if eq $v.jwt.alg "ES256" -}}
{{- $_ := set $jwt "privateKeyFile" "/etc/itrade/jwt/private.pem" -}}
{{- $_ := set $jwt "publicKeyFile" "/etc/itrade/jwt/public.pem" -}}
{{- else -}}
{{- $_ := set $jwt "secret" "${ITRADE_JWT_SECRET}" -}}
{{- end -}}
{{- $tls := dict "enabled" $v.tls.enabled "host" "0.0.0.0" "port" $p.tls -}}
{{- if $v.tls.enabled -}}
{{- $_ := set $tls "certFile" "/etc/itrade/tls/tls.crt" -}}
{{- $_ := set $tls "keyFile" "/etc/itrade/tls/tls.key" -}}
{{- end -}}
{{- $c := dict
  "log" (dict "level" $v.logLevel)
  "redis" (dict "url" (include "itrade.fromEnv" (dict "var" "ITRADE_REDIS_URL" "value" $v.redis.url)) "keyPrefix" $v.redis.keyPrefix)
  "kafka" (dict "brokers" $v.kafka.brokers "clientId" $v.kafka.clientId)
  "chain" (dict "rpcUrl" (include "itrade.fromEnv" (dict "var" "ITRADE_RPC_URL" "value" $v.chain.rpcUrl)) "marketplace" "${ITRADE_MARKETPLACE}" "marketplaceBlock" (int $v.chain.marketplaceBlock))
  "broker" (dict
    "bus" "redis"
    "listeners" (dict "tcp" (dict "enabled" true "host" "0.0.0.0" "port" $p.mqtt) "tls" $tls "ws" (dict "enabled" true "host" "0.0.0.0" "port" $p.ws "path" "/mqtt"))
    "auth" (dict "jwt" $jwt "devSecret" false)
    "entitlements" (dict "chainId" (int $v.chain.chainId))
    "http" (dict "enabled" true "host" "0.0.0.0" "port" $p.http))
  "bridge" (dict "topicPrefix" $v.kafka.topicPrefix "topic" (dict "replicationFactor" (int $v.kafka.replicationFactor) "minInsyncReplicas" (int $v.kafka.minInsyncReplicas)))
  "operator" (dict
    "http" (dict "enabled" true "host" "0.0.0.0" "port" $p.operator)
    "shutdown" (dict "drainTimeoutMs" (int $v.shutdown.drainTimeoutMs) "timeoutMs" (int $v.shutdown.timeoutMs)))
-}}
{{- toYaml (mustMergeOverwrite $c (deepCopy $v.config)) -}}
{{- end -}}
