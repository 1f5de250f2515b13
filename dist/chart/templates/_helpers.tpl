{{/*
chart.name prefixes every object's name, as the namePrefix of config/default
does for dist/install.yaml.
*/}}
{{- define "chart.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
chart.labels go on every object's metadata: the bundle's part-of label plus
Helm's own. They never go into a selector or onto the pod: a Deployment's
selector cannot change, so the chart keeps exactly the bundle's, and a
cluster can move from dist/install.yaml to the chart (helm install
--take-ownership) without recreating the Deployment.
*/}}
{{- define "chart.labels" -}}
app.kubernetes.io/part-of: docuflow-operator
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
chart.selectorLabels select the operator's pods: the Deployment's selector
and pod labels, the metrics Service's selector, the pod anti-affinity.
*/}}
{{- define "chart.selectorLabels" -}}
app.kubernetes.io/name: docuflow-operator
control-plane: controller-manager
{{- end }}

{{/*
chart.image is the operator image: the repository with the tag, which
defaults to the chart's appVersion.
*/}}
{{- define "chart.image" -}}
{{- $image := .Values.controllerManager.container.image }}
{{- printf "%s:%s" $image.repository (toString (default .Chart.AppVersion $image.tag)) }}
{{- end }}

{{/*
chart.serviceAccountName is the service account the operator runs as.
*/}}
{{- define "chart.serviceAccountName" -}}
{{- include "chart.name" . }}-controller-manager
{{- end }}
