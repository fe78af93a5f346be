"""A real single-node Kubernetes on this machine, for kjupyter's tests.

Everything is built here from source or Debian packages (nothing is downloaded prebuilt): the
Kubernetes components from Go modules pinned in `gobuild/`, etcd likewise, containerd/runc/CNI
from Debian, and the images (pause, worker) written as OCI archives and imported with `ctr`.
`python -m tools.devcluster up|down|status` is the interface; see `__main__.py`.
"""
