{{/*
Names. The operator and the NetworkPolicies find pods by the fixed app.kubernetes.io/name labels
(stripecast-controller, stripecast-relay), so those never follow nameOverride.
*/}}
{{- define "stripecast.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <fullname>: the release name, prefixed with the chart name unless it already contains it. */}}
{{- define "stripecast.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* <fullname>-controller: Deployment, Service, ServiceAccount, Role, RoleBinding. */}}
{{- define "stripecast.controllerName" -}}
{{- printf "%s-controller" (include "stripecast.fullname" .) }}
{{- end }}

{{- define "stripecast.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels every object of the release carries. */}}
{{- define "stripecast.commonLabels" -}}
helm.sh/chart: {{ include "stripecast.chart" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: stripecast
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
{{- end }}

{{/* The controller pods' selector (immutable in a Deployment: no version in it). */}}
{{- define "stripecast.controllerSelectorLabels" -}}
app.kubernetes.io/name: stripecast-controller
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{- define "stripecast.controllerLabels" -}}
{{ include "stripecast.controllerSelectorLabels" . }}
{{ include "stripecast.commonLabels" . }}
{{- end }}

{{/* Labels of objects that belong to no one component (the dashboard, the sample CRs). */}}
{{- define "stripecast.labels" -}}
app.kubernetes.io/name: {{ include "stripecast.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{ include "stripecast.commonLabels" . }}
{{- end }}

{{/* The one image for relay and controller; the operator gives relays the same one. */}}
{{- define "stripecast.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The relay pods the operator creates carry this label; the NetworkPolicies and the PodMonitor select on it. */}}
{{- define "stripecast.relaySelectorLabels" -}}
app.kubernetes.io/name: stripecast-relay
{{- end }}

{{- define "stripecast.publisherKeySecretName" -}}
{{- default (printf "%s-publisher-key" .Values.sampleStream.name) .Values.sampleStream.publisherKey.secretName }}
{{- end }}

{{/*
The names of .Values.imagePullSecrets, comma-separated: the controller gives relay pods the same pull Secrets.
*/}}
{{- define "stripecast.pullSecretNames" -}}
{{- $names := list -}}
{{- range .Values.imagePullSecrets -}}
{{- $names = append $names .name -}}
{{- end -}}
{{- join "," $names -}}
{{- end -}}
