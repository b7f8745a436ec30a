from common import commit, ln, write

T = "GoogleCloudPlatform+microservices-demo"
M = "release/kubernetes-manifests.yaml"
def env(var, nth):
    return ln(T, M, f"name: {var}", nth)
E = []
fe = [("productcatalogservice", 3550, "PRODUCT_CATALOG_SERVICE_ADDR"), ("currencyservice", 7000, "CURRENCY_SERVICE_ADDR"),
      ("cartservice", 7070, "CART_SERVICE_ADDR"), ("recommendationservice", 8080, "RECOMMENDATION_SERVICE_ADDR"),
      ("shippingservice", 50051, "SHIPPING_SERVICE_ADDR"), ("checkoutservice", 5050, "CHECKOUT_SERVICE_ADDR"),
      ("adservice", 9555, "AD_SERVICE_ADDR")]
for srv, port, var in fe:
    E.append(dict(client="frontend", server=srv, port=port, evidence=[
        f"{env(var, 1)} frontend env {var}={srv}:{port}",
        f"{ln(T, 'src/frontend/main.go', 'mustMapEnv.*' + var)} mustMapEnv({var}) then gRPC dial"]))
co = [("productcatalogservice", 3550, "PRODUCT_CATALOG_SERVICE_ADDR", 3), ("shippingservice", 50051, "SHIPPING_SERVICE_ADDR", 2),
      ("paymentservice", 50051, "PAYMENT_SERVICE_ADDR", 1), ("emailservice", 8080, "EMAIL_SERVICE_ADDR", 1),
      ("currencyservice", 7000, "CURRENCY_SERVICE_ADDR", 2), ("cartservice", 7070, "CART_SERVICE_ADDR", 2)]
for srv, port, var, nth in co:
    ev = [f"{env(var, nth)} checkoutservice env {var}",
          f"{ln(T, 'src/checkoutservice/main.go', 'mustConnGRPC.*' + var.split('_')[0].lower().replace('product','productCatalog'))} mustConnGRPC"]
    if srv == "emailservice":
        ev.append(f"{ln(T, M, 'targetPort: 8080', 1)}.. Service emailservice port 5000 -> targetPort 8080 (flow logs see the pod port)")
    E.append(dict(client="checkoutservice", server=srv, port=port, evidence=ev))
E.append(dict(client="recommendationservice", server="productcatalogservice", port=3550, evidence=[
    f"{env('PRODUCT_CATALOG_SERVICE_ADDR', 2)} recommendationservice env",
    f"{ln(T, 'src/recommendationservice/recommendation_server.py', 'ProductCatalogServiceStub')} ProductCatalogServiceStub(channel)"]))
E.append(dict(client="cartservice", server="redis-cart", port=6379, evidence=[
    f"{ln(T, M, 'name: REDIS_ADDR')} cartservice env REDIS_ADDR=redis-cart:6379"]))
doc = dict(
    system="online-boutique",
    repository="GoogleCloudPlatform/microservices-demo",
    commit=commit(T),
    files_read=[M, "src/frontend/main.go", "src/checkoutservice/main.go",
                "src/recommendationservice/recommendation_server.py", "kubernetes-manifests/*.yaml"],
    derivation=("Default deployment release/kubernetes-manifests.yaml: every *_SERVICE_ADDR / REDIS_ADDR environment "
                "variable of a Deployment is one edge (client = the Deployment, server = the named Service); the code "
                "(mustMapEnv + gRPC dial) confirms each is used. Ports are container (target) ports, which is what VPC "
                "flow logs record after kube-proxy DNAT. Left out: loadgenerator (synthetic users, i.e. internet "
                "traffic to frontend), the optional shopping-assistant kustomize component (not in the default release; "
                "frontend only reads its address), and the OpenTelemetry collector (disabled by default)."),
    edges=E,
    architect_zones={"frontend": "storefront", "adservice": "storefront", "recommendationservice": "catalog",
                     "productcatalogservice": "catalog", "cartservice": "cart", "redis-cart": "cart",
                     "checkoutservice": "checkout", "paymentservice": "checkout", "shippingservice": "checkout",
                     "emailservice": "checkout", "currencyservice": "currency"},
    expected=dict(
        verdict_any_of=["insufficient_data", "infeasible"],
        abstention_acceptable=True,
        zones_approx="1-4; domain zones isolate almost nothing",
        shared_platform=[],
        orchestrators=["frontend", "checkoutservice"],
        rationale=("An orchestrated star: frontend calls 7 of the 10 other services and checkoutservice 6; apart from "
                   "cartservice -> redis-cart and recommendationservice -> productcatalogservice every call leaves the "
                   "two orchestrators. With the architect's best domain zones (storefront, catalog, cart, checkout, "
                   "currency) 9 of 15 talking pairs cross zones (rho = 1.5): strict domain segmentation costs more "
                   "exceptions than it keeps local. The right control is a per-service allow-list (the project's own "
                   "Istio AuthorizationPolicies do that), not zones. currencyservice and productcatalogservice are called "
                   "by the two orchestrators only - they are not a platform. 15 pairs is also far too few to tell "
                   "structure from chance, so abstaining is acceptable; a 'feasible' verdict would be wrong.")))
write("online-boutique", doc)
