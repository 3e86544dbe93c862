// Package chart renders the Helm chart under deploy/helm/footfall in Go,
// with the Helm library and no cluster, the way helm template does, and
// decodes what it renders strictly against the Kubernetes API types.
package chart
