// Package deploy has no code of its own. It is where the tests live that
// keep the files beside it valid — the GitHub Actions workflow in github/
// and the Kubernetes manifests in k8s/ — because nothing else in this
// project runs them: their first real use is in a user's repository or
// cluster, where a typo costs a deploy.
package deploy
