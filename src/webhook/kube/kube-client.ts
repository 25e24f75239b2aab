// The client lives in internal/kube (k8s:// key references use it too); the webhook keeps its import path.
export { createKubeClient, kubeApiError, statusMessage, type KubeClient, type KubeClientOptions, type KubeRequest, type KubeResponse, type KubeWatchOptions } from "../../internal/kube/kube-client.js";
