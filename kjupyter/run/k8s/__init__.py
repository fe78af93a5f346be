"""Parts of the kubernetes backend (`kjupyter.run.kubernetes`, which holds the design notes).

options (what a pod asks for), identity (user, notebook, own pod), preflight (RBAC), podspec
(manifests), watcher (one watch: start-up, death, phase times), portforward (websocket bridge),
versions (kernel vs worker), admin (ps, gc, pools), timeline (pod + task phases, plot).
"""
