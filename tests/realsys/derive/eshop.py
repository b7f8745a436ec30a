from common import commit, ln, write

T = "dotnet+eShop"
AH = "src/eShop.AppHost/Program.cs"
PORT = {"basket-api": 5221, "catalog-api": 5222, "identity-api": 5223, "ordering-api": 5224, "webhooks-api": 5227,
        "webapp": 5045, "webhooksclient": 5062, "redis": 6379, "eventbus": 5672, "postgres": 5432}
def ah(pat, nth=1):
    return ln(T, AH, pat, nth)
E = []
def add(c, s, *ev):
    E.append(dict(client=c, server=s, port=PORT[s], evidence=list(ev)))
# databases: one postgres server hosts catalogdb, identitydb, orderingdb, webhooksdb
add("identity-api", "postgres", f"{ah('WithReference.identityDb')} identity-api WithReference(identityDb)",
    f"{ln(T, 'src/Identity.API/Program.cs', 'AddNpgsqlDbContext')} AddNpgsqlDbContext(\"identitydb\")",
    f"{ah('AddDatabase..identitydb')} identitydb is a database of the single postgres server")
add("catalog-api", "postgres", f"{ah('WithReference.catalogDb')} WithReference(catalogDb)",
    f"{ln(T, 'src/Catalog.API/Extensions/Extensions.cs', 'AddNpgsqlDbContext')} AddNpgsqlDbContext(\"catalogdb\")")
add("ordering-api", "postgres", f"{ah('WithReference.orderDb')} WithReference(orderDb)",
    f"{ln(T, 'src/Ordering.API/Extensions/Extensions.cs', 'EnrichNpgsqlDbContext')} Npgsql OrderingContext")
add("order-processor", "postgres", f"{ah('WithReference.orderDb', 2)} WithReference(orderDb)",
    f"{ln(T, 'src/OrderProcessor/Extensions/Extensions.cs', 'AddNpgsqlDataSource')} AddNpgsqlDataSource(\"orderingdb\")")
add("webhooks-api", "postgres", f"{ah('WithReference.webhooksDb')} WithReference(webhooksDb)",
    f"{ln(T, 'src/Webhooks.API/Extensions/Extensions.cs', 'AddNpgsqlDbContext')} AddNpgsqlDbContext(\"webhooksdb\")")
add("basket-api", "redis", f"{ah('WithReference.redis')} WithReference(redis)",
    f"{ln(T, 'src/Basket.API/Extensions/Extensions.cs', 'AddRedisClient')} AddRedisClient(\"redis\")")
EB = {"basket-api": "src/Basket.API/Extensions/Extensions.cs", "catalog-api": "src/Catalog.API/Extensions/Extensions.cs",
      "ordering-api": "src/Ordering.API/Extensions/Extensions.cs", "order-processor": "src/OrderProcessor/Extensions/Extensions.cs",
      "payment-processor": "src/PaymentProcessor/Program.cs", "webhooks-api": "src/Webhooks.API/Extensions/Extensions.cs",
      "webapp": "src/WebApp/Extensions/Extensions.cs"}
for i, (c, f) in enumerate(EB.items(), 1):
    add(c, "eventbus", f"{ah('WithReference.rabbitMq', i)} WithReference(rabbitMq)",
        f"{ln(T, f, 'AddRabbitMqEventBus')} AddRabbitMqEventBus (publish/subscribe integration events)")
AUTH = {"basket-api": "src/Basket.API/Extensions/Extensions.cs", "ordering-api": "src/Ordering.API/Extensions/Extensions.cs",
        "webhooks-api": "src/Webhooks.API/Extensions/Extensions.cs"}
for c, f in AUTH.items():
    add(c, "identity-api", f"{ln(T, f, 'AddDefaultAuthentication')} AddDefaultAuthentication: JWT bearer with authority Identity:Url (fetches OIDC metadata and signing keys)",
        "src/eShop.AppHost/Program.cs: .WithEnvironment(\"Identity__Url\", identityEndpoint)")
add("webapp", "identity-api", f"{ln(T, 'src/WebApp/Extensions/Extensions.cs', 'IdentityUrl')} OpenID Connect against IdentityUrl (back-channel code exchange)")
add("webhooksclient", "identity-api", f"{ln(T, 'src/WebhookClient/Extensions/Extensions.cs', 'IdentityUrl')} OpenID Connect against IdentityUrl")
add("webapp", "basket-api", f"{ln(T, 'src/WebApp/Extensions/Extensions.cs', 'http://basket-api')} gRPC BasketClient http://basket-api")
add("webapp", "catalog-api", f"{ln(T, 'src/WebApp/Extensions/Extensions.cs', 'catalog-api')} HttpClient<CatalogService> catalog-api")
add("webapp", "ordering-api", f"{ln(T, 'src/WebApp/Extensions/Extensions.cs', 'ordering-api')} HttpClient<OrderingService> ordering-api")
add("webhooksclient", "webhooks-api", f"{ah('WithReference.webHooksApi')} webhooksclient WithReference(webHooksApi)")
for s in ["catalog-api", "ordering-api", "identity-api"]:
    add("mobile-bff", s, f"{ah('ConfigureMobileBffRoutes')} YARP mobile-bff routes to catalogApi, orderingApi, identityApi",
        f"{ln(T, 'src/eShop.AppHost/Extensions.cs', 'ConfigureMobileBffRoutes')} ConfigureMobileBffRoutes")
doc = dict(
    system="eshop", repository="dotnet/eShop", commit=commit(T),
    files_read=[AH, "src/eShop.AppHost/Extensions.cs", "src/*/Properties/launchSettings.json",
                "src/{Basket.API,Catalog.API,Ordering.API,OrderProcessor,Webhooks.API,WebApp,WebhookClient}/Extensions/Extensions.cs",
                "src/{Identity.API,PaymentProcessor}/Program.cs"],
    derivation=("The .NET Aspire AppHost (src/eShop.AppHost/Program.cs) is the deployment manifest: every "
                "WithReference(x) is a connection from the project to x, confirmed in each project's Extensions.cs "
                "(AddRabbitMqEventBus, AddNpgsql*, AddRedisClient, HttpClient/gRPC client base addresses). The four "
                "databases are databases of ONE postgres container, so on the network they are one server node. "
                "Identity__Url / IdentityUrl consumers call identity-api for OIDC metadata/JWKS or the code exchange. "
                "identity-api's *ApiClient environment variables are redirect URIs, not calls. Ports: launchSettings "
                "http ports (Aspire assigns real ones at run time), 5432/6379/5672 for the containers. Left out: the "
                "optional OpenAI/Ollama resources (off by default), the browser, and the MAUI/Hybrid clients."),
    edges=E,
    architect_zones={"basket-api": "basket", "redis": "basket", "catalog-api": "catalog", "ordering-api": "ordering",
                     "order-processor": "ordering", "payment-processor": "payment", "webhooks-api": "webhooks",
                     "webhooksclient": "webhooks", "webapp": "web", "mobile-bff": "web", "identity-api": "shared",
                     "eventbus": "shared", "postgres": "shared"},
    expected=dict(
        verdict_any_of=["insufficient_data", "feasible_with_exceptions"],
        abstention_acceptable=True, zones_approx="shared (identity, eventbus, postgres) + 5-6 bounded contexts",
        shared_platform=["eventbus", "identity-api", "postgres"], orchestrators=["webapp", "mobile-bff"],
        rationale=("The canonical DDD sample: bounded contexts integrate asynchronously through the event bus (7 "
                   "clients), authenticate against identity-api (6 clients), and - a deployment shortcut - keep their "
                   "databases on one postgres server (5 clients). These three are platform and belong in a shared zone "
                   "(in production postgres would be split per context). What is left is webapp (basket, catalog, "
                   "ordering) and mobile-bff (catalog, ordering, identity), the BFFs whose calls are the explicit "
                   "exceptions, plus basket->redis and webhooksclient->webhooks-api inside their contexts. Segmentation "
                   "by bounded context with a shared platform zone is what the design intends: feasible_with_exceptions. "
                   "25 pairs - abstaining is acceptable; 'infeasible' would misread a deliberately decoupled design.")))
write("eshop", doc)
