
from common import commit, ln, near, write

T = "delimitrou+DeathStarBench"
REPO = "delimitrou/DeathStarBench"
Q = '"'

def cfg_line(app, key):
    return ln(T, f"{app}/config/service-config.json", f'"{key}"')

def use(app, path, pat):
    return ln(T, f"{app}/{path}", pat)

# ---------------- socialNetwork
A = "socialNetwork"
CAMEL = {"compose-post-service": "ComposePost", "home-timeline-service": "HomeTimeline", "post-storage-service": "PostStorage",
         "social-graph-service": "SocialGraph", "text-service": "Text", "url-shorten-service": "UrlShorten",
         "user-mention-service": "UserMention", "user-service": "User", "user-timeline-service": "UserTimeline",
         "media-service": "Media", "unique-id-service": "UniqueId"}
def cpp(client):
    c = CAMEL[client]
    return f"src/{c}Service/{c}Service.cpp"
E = []
def svc_edge(client, server, port=9090):
    E.append(dict(client=client, server=server, port=port, evidence=[
        f"{use(A, cpp(client), 'config_json..' + server + '..')} {client} reads config_json[\"{server}\"] and builds a Thrift/client pool",
        f"{cfg_line(A, server)} service-config.json {server} port {port}"]))
def store_edge(client, prefix, kind, port):
    fn = {"mongodb": "init_mongodb_client_pool", "memcached": "init_memcached_client_pool", "redis": "init_redis_client_pool"}[kind]
    E.append(dict(client=client, server=f"{prefix}-{kind}", port=port, evidence=[
        near(T, A + '/' + cpp(client), fn, Q + prefix + Q) + f" {fn}(config_json, \"{prefix}\") -> {prefix}-{kind}",
        f"{cfg_line(A, prefix + '-' + kind)} service-config.json {prefix}-{kind} port {port}"]))
for s in ["post-storage-service", "user-timeline-service", "text-service", "user-service", "media-service",
          "home-timeline-service", "unique-id-service"]:
    svc_edge("compose-post-service", s)
svc_edge("home-timeline-service", "post-storage-service")
svc_edge("home-timeline-service", "social-graph-service")
store_edge("home-timeline-service", "home-timeline", "redis", 6379)
store_edge("post-storage-service", "post-storage", "memcached", 11211)
store_edge("post-storage-service", "post-storage", "mongodb", 27017)
svc_edge("social-graph-service", "user-service")
store_edge("social-graph-service", "social-graph", "mongodb", 27017)
store_edge("social-graph-service", "social-graph", "redis", 6379)
svc_edge("text-service", "url-shorten-service")
svc_edge("text-service", "user-mention-service")
store_edge("url-shorten-service", "url-shorten", "memcached", 11211)
store_edge("url-shorten-service", "url-shorten", "mongodb", 27017)
store_edge("user-mention-service", "user", "memcached", 11211)
store_edge("user-mention-service", "user", "mongodb", 27017)
svc_edge("user-service", "social-graph-service")
store_edge("user-service", "user", "memcached", 11211)
store_edge("user-service", "user", "mongodb", 27017)
svc_edge("user-timeline-service", "post-storage-service")
store_edge("user-timeline-service", "user-timeline", "mongodb", 27017)
store_edge("user-timeline-service", "user-timeline", "redis", 6379)
LUA = {"compose-post-service": "nginx-web-server/lua-scripts/api/post/compose.lua",
       "home-timeline-service": "nginx-web-server/lua-scripts/api/home-timeline/read.lua",
       "user-timeline-service": "nginx-web-server/lua-scripts/api/user-timeline/read.lua",
       "user-service": "nginx-web-server/lua-scripts/api/user/login.lua",
       "social-graph-service": "nginx-web-server/lua-scripts/api/user/follow.lua"}
for s, f in LUA.items():
    cls = CAMEL[s] + "ServiceClient"
    E.append(dict(client="nginx-thrift", server=s, port=9090, evidence=[f"{use(A, f, cls)} nginx Lua {cls}"]))
E.append(dict(client="media-frontend", server="media-mongodb", port=27017, evidence=[
    f"{use(A, 'media-frontend/lua-scripts/upload-media.lua', 'media-mongodb')} conn:connect(\"media-mongodb\", 27017)"]))
social = dict(
    system="dsb-social-network", repository=REPO, commit=commit(T),
    files_read=["socialNetwork/docker-compose.yml", "socialNetwork/config/service-config.json",
                "socialNetwork/src/*Service/*Service.cpp", "socialNetwork/src/ComposePostService/ComposePostHandler.h",
                "socialNetwork/nginx-web-server/lua-scripts/api/**.lua", "socialNetwork/media-frontend/lua-scripts/*.lua"],
    derivation=("Deployed set = services of socialNetwork/docker-compose.yml (default, non-sharded, non-replicated redis). "
                "For each C++ service main, every config_json[\"<x>-service\"] used to build a ClientPool is a Thrift edge "
                "on port 9090, and every init_{mongodb,memcached,redis}_client_pool(config_json, \"<p>\") is an edge to "
                "<p>-<kind> (note user-mention-service opens the *user* stores). nginx-thrift edges from the Thrift "
                "clients in the API Lua scripts; media-frontend's Lua scripts talk to media-mongodb. Left out: "
                "jaeger-agent (tracing, UDP), write-home-timeline-service/rabbitmq (source present, not deployed by the "
                "compose file), redis-primary/replica (replicated mode only), and compose-post-redis, media-memcached "
                "and media-mongodb->media-service (deployed but no code opens them)."),
    edges=E,
    architect_zones={"nginx-thrift": "edge", "media-frontend": "media", "media-mongodb": "media", "media-service": "media",
                     "compose-post-service": "post", "post-storage-service": "post", "post-storage-memcached": "post",
                     "post-storage-mongodb": "post", "unique-id-service": "post",
                     "text-service": "text", "url-shorten-service": "text", "url-shorten-memcached": "text",
                     "url-shorten-mongodb": "text",
                     "home-timeline-service": "timeline", "home-timeline-redis": "timeline",
                     "user-timeline-service": "timeline", "user-timeline-redis": "timeline", "user-timeline-mongodb": "timeline",
                     "user-service": "user", "user-mention-service": "user", "user-memcached": "user", "user-mongodb": "user",
                     "social-graph-service": "user", "social-graph-mongodb": "user", "social-graph-redis": "user"},
    expected=dict(
        verdict_any_of=["insufficient_data", "feasible_with_exceptions", "marginal"],
        abstention_acceptable=True, zones_approx="5-6 (edge, post, text, timeline, user/social-graph, media)",
        shared_platform=[], orchestrators=["compose-post-service", "nginx-thrift"],
        rationale=("Services with private stores (post-storage, url-shorten, user, social-graph, timelines) form tight "
                   "groups; user-service and social-graph-service call each other and user-mention-service reads the user "
                   "stores directly, so they are one zone. compose-post-service is the orchestrator of the write path "
                   "(7 services) and nginx-thrift the gateway (5): their calls are the exceptions and they must stay "
                   "workloads. With the architect's 6 zones 14 of the 32 undirected pairs cross (rho 0.78, mu 0.44), 10 of "
                   "them from the gateway and compose-post: segmentable with a visible, concentrated exception list - "
                   "feasible_with_exceptions to marginal. No service is a "
                   "platform (the most-called, post-storage and user, have 3 callers each). 33 pairs is under 40, so "
                   "abstaining is acceptable.")))
write("dsb-social-network", social)

# ---------------- hotelReservation
A = "hotelReservation"
E = []
ports = {"frontend": 5000, "search": 8082, "geo": 8083, "profile": 8081, "rate": 8084, "recommendation": 8085,
         "user": 8086, "reservation": 8087, "review": 8088, "attractions": 8089}
for s in ["search", "profile", "recommendation", "user", "reservation", "review", "attractions"]:
    E.append(dict(client="frontend", server=s, port=ports[s], evidence=[
        use(A, 'services/frontend/server.go', 'srv-' + s + '"') + f" frontend dials srv-{s} (consul-resolved gRPC)",
        ln(T, A + '/config.json', {"search": "SearchPort", "profile": "ProfilePort", "recommendation": "RecommendPort", "user": "UserPort", "reservation": "ReservePort", "review": "ReviewPort", "attractions": "AttractionsPort"}[s]) + f" config.json port {ports[s]}"]))
for s, k in [("geo", "GeoPort"), ("rate", "RatePort")]:
    E.append(dict(client="search", server=s, port=ports[s], evidence=[
        use(A, 'services/search/server.go', 'srv-' + s + '"') + f" search dials srv-{s}", f"{ln(T, A + '/config.json', k)} port"]))
STORES = [("geo", "mongodb-geo", 27017, "GeoMongoAddress"), ("profile", "memcached-profile", 11211, "ProfileMemcAddress"),
          ("profile", "mongodb-profile", 27017, "ProfileMongoAddress"), ("rate", "memcached-rate", 11211, "RateMemcAddress"),
          ("rate", "mongodb-rate", 27017, "RateMongoAddress"), ("recommendation", "mongodb-recommendation", 27017, "RecommendMongoAddress"),
          ("reservation", "memcached-reserve", 11211, "ReserveMemcAddress"), ("reservation", "mongodb-reservation", 27017, "ReserveMongoAddress"),
          ("review", "memcached-review", 11211, "ReviewMemcAddress"), ("review", "mongodb-review", 27017, "ReviewMongoAddress"),
          ("user", "mongodb-user", 27017, "UserMongoAddress"), ("attractions", "mongodb-attractions", 27017, "AttractionsMongoAddress")]
for c, s, p, k in STORES:
    E.append(dict(client=c, server=s, port=p, evidence=[
        f"{use(A, 'cmd/' + c + '/main.go', k)} cmd/{c} reads {k}", f"{ln(T, A + '/config.json', k)} {k}={s}:{p}"]))
for s in ports:
    E.append(dict(client=s, server="consul", port=8500, evidence=[
        f"{use(A, 'cmd/' + s + '/main.go', 'consulAddress')} cmd/{s} connects to consulAddress (register / resolve)",
        f"{ln(T, A + '/config.json', 'consulAddress')} consul:8500"]))
hotel = dict(
    system="dsb-hotel-reservation", repository=REPO, commit=commit(T),
    files_read=["hotelReservation/docker-compose.yml", "hotelReservation/config.json", "hotelReservation/cmd/*/main.go",
                "hotelReservation/services/{frontend,search}/server.go", "hotelReservation/registry/registry.go"],
    derivation=("Services of hotelReservation/docker-compose.yml. gRPC edges from the init*Client(\"srv-<x>\") calls in "
                "services/frontend/server.go and services/search/server.go (consul-balanced dial); ports from config.json "
                "<X>Port. Store edges from the <X>MongoAddress / <X>MemcAddress keys each cmd/<x>/main.go reads "
                "(attractions' memcached client is commented out). Every service registers with / resolves through "
                "consul:8500. Left out: jaeger (UDP 6831 tracing)."),
    edges=E,
    architect_zones={"frontend": "frontend", "search": "search", "geo": "search", "mongodb-geo": "search", "rate": "search",
                     "memcached-rate": "search", "mongodb-rate": "search", "profile": "profile", "memcached-profile": "profile",
                     "mongodb-profile": "profile", "recommendation": "recommendation", "mongodb-recommendation": "recommendation",
                     "user": "user", "mongodb-user": "user", "reservation": "reservation", "memcached-reserve": "reservation",
                     "mongodb-reservation": "reservation", "review": "review", "memcached-review": "review",
                     "mongodb-review": "review", "attractions": "attractions", "mongodb-attractions": "attractions",
                     "consul": "shared"},
    expected=dict(
        verdict_any_of=["insufficient_data", "feasible", "feasible_with_exceptions"],
        abstention_acceptable=True, zones_approx="7-8 (one per back-end and its stores, search+geo+rate together)",
        shared_platform=["consul"], orchestrators=["frontend"],
        rationale=("consul is platform: every one of the 10 services calls it. Take it out and the estate is a forest "
                   "of stars - each back-end with its private mongodb/memcached, search with geo and rate - plus the "
                   "frontend BFF calling seven back-ends. Zones isolate every store; the only exceptions are frontend's "
                   "7 calls against 14 local pairs (rho 0.50, mu 0.33; 7 rules, all from one workload). A careful architect segments this readily: feasible or feasible_with_exceptions, "
                   "with consul shared and frontend a workload. 31 pairs, so abstaining is acceptable; 'infeasible' is "
                   "wrong.")))
write("dsb-hotel-reservation", hotel)

# ---------------- mediaMicroservices
A = "mediaMicroservices"
CAMEL = {"cast-info-service": "CastInfo", "compose-review-service": "ComposeReview", "movie-id-service": "MovieId",
         "movie-info-service": "MovieInfo", "movie-review-service": "MovieReview", "plot-service": "Plot",
         "rating-service": "Rating", "review-storage-service": "ReviewStorage", "text-service": "Text",
         "unique-id-service": "UniqueId", "user-review-service": "UserReview", "user-service": "User"}
E = []
def svc_edge(client, server, port=9090):
    E.append(dict(client=client, server=server, port=port, evidence=[
        f"{use(A, cpp(client), 'config_json..' + server + '..')} {client} reads config_json[\"{server}\"] (ClientPool)",
        f"{cfg_line(A, server)} service-config.json {server} port {port}"]))
def store(client, server, port, pat):
    E.append(dict(client=client, server=server, port=port, evidence=[
        (near(T, A + '/' + cpp(client), *pat) if isinstance(pat, tuple) else use(A, cpp(client), pat)) + f" {client} opens {server}", f"{cfg_line(A, server)} service-config.json {server} port {port}"]))
for s in ["review-storage-service", "user-review-service", "movie-review-service"]:
    svc_edge("compose-review-service", s)
store("compose-review-service", "compose-review-memcached", 11211, 'compose-review-memcached')
for c in ["movie-id-service", "rating-service", "text-service", "unique-id-service", "user-service"]:
    svc_edge(c, "compose-review-service")
svc_edge("movie-id-service", "rating-service")
for c, p in [("movie-id-service", "movie-id"), ("movie-info-service", "movie-info"), ("cast-info-service", "cast-info"),
             ("plot-service", "plot"), ("review-storage-service", "review-storage"), ("user-service", "user")]:
    store(c, f"{p}-memcached", 11211, ("init_memcached_client_pool", Q + p + Q))
    store(c, f"{p}-mongodb", 27017, ("init_mongodb_client_pool", Q + p + Q))
for c, p in [("movie-review-service", "movie-review"), ("user-review-service", "user-review")]:
    store(c, f"{p}-mongodb", 27017, ("init_mongodb_client_pool", Q + p + Q))
    store(c, f"{p}-redis", 6379, f'config_json."{p}-redis".."addr"')
    svc_edge(c, "review-storage-service")
store("rating-service", "rating-redis", 6379, 'config_json."rating-redis".."addr"')
LUA = {"cast-info-service": ("cast-info/write.lua", "CastInfoServiceClient"), "movie-id-service": ("movie/register.lua", "MovieIdServiceClient"),
       "movie-info-service": ("movie-info/write.lua", "MovieInfoServiceClient"), "plot-service": ("plot/write.lua", "PlotServiceClient"),
       "text-service": ("review/compose.lua", "TextServiceClient"), "unique-id-service": ("review/compose.lua", "UniqueIdServiceClient"),
       "user-service": ("user/register.lua", "UserServiceClient")}
for s, (f, cls) in LUA.items():
    E.append(dict(client="nginx-web-server", server=s, port=9090, evidence=[
        f"{use(A, 'nginx-web-server/lua-scripts/wrk2-api/' + f, cls)} nginx Lua {cls}"]))
media = dict(
    system="dsb-media-microservices", repository=REPO, commit=commit(T),
    files_read=["mediaMicroservices/docker-compose.yml", "mediaMicroservices/config/service-config.json",
                "mediaMicroservices/src/*Service/*Service.cpp", "mediaMicroservices/src/utils_{mongodb,memcached}.h",
                "mediaMicroservices/nginx-web-server/lua-scripts/wrk2-api/**.lua"],
    derivation=("Deployed set = mediaMicroservices/docker-compose.yml (page-service has source but is not deployed). "
                "Thrift edges (9090) from every config_json[\"<x>-service\"] ClientPool in a service main; store edges from "
                "init_{mongodb,memcached}_client_pool(config_json, \"<p>\") and the <p>-redis ClientPool<RedisClient>; "
                "nginx-web-server edges from the Thrift clients in wrk2-api Lua scripts. Left out: jaeger, dns-media."),
    edges=E,
    architect_zones={"nginx-web-server": "edge", "compose-review-service": "review", "compose-review-memcached": "review",
                     "unique-id-service": "review", "text-service": "review", "rating-service": "review", "rating-redis": "review",
                     "review-storage-service": "review", "review-storage-memcached": "review",
                     "review-storage-mongodb": "review", "movie-review-service": "review",
                     "movie-review-mongodb": "review", "movie-review-redis": "review",
                     "user-review-service": "review", "user-review-mongodb": "review",
                     "user-review-redis": "review",
                     "movie-id-service": "movie", "movie-id-memcached": "movie", "movie-id-mongodb": "movie",
                     "movie-info-service": "movie-info", "movie-info-memcached": "movie-info", "movie-info-mongodb": "movie-info",
                     "cast-info-service": "movie-info", "cast-info-memcached": "movie-info", "cast-info-mongodb": "movie-info",
                     "plot-service": "movie-info", "plot-memcached": "movie-info", "plot-mongodb": "movie-info",
                     "user-service": "user", "user-memcached": "user", "user-mongodb": "user"},
    expected=dict(
        verdict_any_of=["insufficient_data", "feasible", "feasible_with_exceptions"],
        abstention_acceptable=True, zones_approx="5-7",
        shared_platform=[], orchestrators=["nginx-web-server"],
        rationale=("Almost every service owns memcached/mongodb/redis stores that only it opens, so zones isolate 18 "
                   "stores completely. compose-review-service is the *server* of a fan-in (5 producers send it review "
                   "fragments) and calls the three review-storage services; an architect draws one reviews context holding "
                   "it, the storage services and the producers that exist only for reviews (unique-id, text, rating), "
                   "with movie-id, movie-info (cast, plot) and user in their own zones. The gateway nginx-web-server calls "
                   "7 services - a workload whose calls are exceptions. With the architect's 5 zones 10 of 36 pairs cross "
                   "(rho 0.38, mu 0.28), 7 of them the gateway's: feasible to feasible_with_exceptions. 36 pairs, so "
                   "abstaining is acceptable.")))
write("dsb-media-microservices", media)
