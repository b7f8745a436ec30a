from common import commit, ln, write

T = "microservices-demo+microservices-demo"
P = "deploy/kubernetes/manifests-policy/"
M = "deploy/kubernetes/complete-demo.yaml"
def pol(f, pat):
    return f"{ln(T, P + f, pat)} NetworkPolicy {f} allows this ingress"
E = [
 dict(client="front-end", server="carts", port=80, evidence=[pol("netpol-cart-access.yaml", "name: front-end"), "front-end api/cart (microservices-demo/front-end api/endpoints.js cartsUrl)"]),
 dict(client="orders", server="carts", port=80, evidence=[pol("netpol-cart-access.yaml", "name: orders")]),
 dict(client="front-end", server="catalogue", port=80, evidence=[pol("netpol-catalogue-access.yaml", "name: front-end")]),
 dict(client="front-end", server="orders", port=80, evidence=[pol("netpol-orders-access.yaml", "name: front-end")]),
 dict(client="front-end", server="user", port=80, evidence=[pol("netpol-user-access.yaml", "name: front-end")]),
 dict(client="orders", server="user", port=80, evidence=[pol("netpol-user-access.yaml", "name: orders")]),
 dict(client="orders", server="payment", port=80, evidence=[pol("netpol-payment-access.yaml", "name: orders")]),
 dict(client="orders", server="shipping", port=80, evidence=[pol("netpol-shipping-access.yaml", "name: orders")]),
 dict(client="carts", server="carts-db", port=27017, evidence=[pol("netpol-cart-db-access.yaml", "port: 27017"), f"{ln(T, M, 'name: carts-db')} Deployment carts-db (mongo, containerPort 27017)"]),
 dict(client="catalogue", server="catalogue-db", port=3306, evidence=[pol("netpol-catalogue-db-access.yaml", "port: 3306")]),
 dict(client="orders", server="orders-db", port=27017, evidence=[pol("netpol-orders-db-access.yaml", "port: 27017")]),
 dict(client="user", server="user-db", port=27017, evidence=[pol("netpol-user-db-access.yaml", "port: 27017"), f"{ln(T, M, 'value: user-db:27017')} user env mongo=user-db:27017"]),
 dict(client="shipping", server="rabbitmq", port=5672, evidence=[pol("netpol-rabbitmq-access.yaml", "name: shipping")]),
 dict(client="queue-master", server="rabbitmq", port=5672, evidence=[pol("netpol-rabbitmq-access.yaml", "name: queue-master")]),
 dict(client="front-end", server="session-db", port=6379, evidence=[f"{ln(T, M, 'name: SESSION_REDIS')} front-end env SESSION_REDIS=true",
      "microservices-demo/front-end@4180991e1b2523ce0484e140c020977b50e4c7f8 config.js: RedisStore({host: \"session-db\"}) (the project's NetworkPolicies omit this edge)"]),
]
doc = dict(
    system="sock-shop", repository="microservices-demo/microservices-demo", commit=commit(T),
    files_read=[M, P + "netpol-*.yaml (14 files)", "deploy/docker-compose/docker-compose.yml",
                "microservices-demo/front-end: config.js, api/endpoints.js"],
    derivation=("The project ships Kubernetes NetworkPolicies (deploy/kubernetes/manifests-policy, default deny plus one "
                "ingress allow per service): each from-podSelector/port is one edge. Names follow the Deployments of "
                "complete-demo.yaml (the policy labels the carts pods 'cart'). front-end -> session-db comes from the "
                "SESSION_REDIS env var and front-end's config.js; the policies forget it. Left out: user-sim/load-test, "
                "the monitoring namespace, and the rabbitmq-exporter sidecar (same pod)."),
    edges=E,
    architect_zones={"front-end": "web", "session-db": "web", "catalogue": "catalogue", "catalogue-db": "catalogue",
                     "carts": "carts", "carts-db": "carts", "user": "user", "user-db": "user", "orders": "orders",
                     "orders-db": "orders", "payment": "orders", "shipping": "shipping", "queue-master": "shipping",
                     "rabbitmq": "shipping"},
    expected=dict(
        verdict_any_of=["insufficient_data", "feasible_with_exceptions", "marginal"],
        abstention_acceptable=True, zones_approx="5-6 (one per service and its store)",
        shared_platform=[], orchestrators=["front-end", "orders"],
        rationale=("Every service owns its store (carts-db, catalogue-db, orders-db, user-db) and shipping/queue-master "
                   "share a private rabbitmq: hub-and-spoke groups that zones isolate completely (no store is reachable "
                   "from outside its owner). The cost is the fan-out of the two orchestrators, front-end (4 services) "
                   "and orders (carts, user, shipping): 7 exception rules against 8 local pairs (rho 0.875 with payment "
                   "in the orders zone, mu 0.47 - on the marginal side of the band edge by count, but every exception "
                   "comes from two workloads). The project itself enforces exactly this default-deny + per-service allow "
                   "policy, so segmentation with a handful of explicit exceptions is clearly practicable; front-end and "
                   "orders are workloads, not shared services. 15 pairs is too few for statistics, so abstaining is "
                   "acceptable; 'infeasible' would contradict the shipped policy.")))
write("sock-shop", doc)
