from common import commit, ln, write

T = "instana+robot-shop"
W = "web/default.conf.template"
E = []
for s, port in [("catalogue", 8080), ("user", 8080), ("cart", 8080), ("shipping", 8080), ("payment", 8080), ("ratings", 80)]:
    E.append(dict(client="web", server=s, port=port, evidence=[ln(T, W, 'proxy_pass http://[$][{]' + s.upper() + '_HOST') + f" nginx proxy_pass to {s}:{port}"]))
E += [
 dict(client="catalogue", server="mongodb", port=27017, evidence=[f"{ln(T, 'catalogue/server.js', 'MONGO_URL')} mongodb://mongodb:27017/catalogue"]),
 dict(client="user", server="mongodb", port=27017, evidence=[f"{ln(T, 'user/server.js', 'MONGO_URL')} mongodb://mongodb:27017/users"]),
 dict(client="user", server="redis", port=6379, evidence=[f"{ln(T, 'user/server.js', 'REDIS_HOST')} REDIS_HOST default redis"]),
 dict(client="cart", server="redis", port=6379, evidence=[f"{ln(T, 'cart/server.js', 'REDIS_HOST')} REDIS_HOST default redis"]),
 dict(client="cart", server="catalogue", port=8080, evidence=[ln(T, 'cart/server.js', 'catalogueHost [+]') + " GET http://catalogue:8080/product/<sku>"]),
 dict(client="shipping", server="mysql", port=3306, evidence=[f"{ln(T, 'shipping/src/main/java/com/instana/robotshop/shipping/JpaConfig.java', 'jdbc:mysql')} jdbc:mysql://mysql/cities"]),
 dict(client="shipping", server="cart", port=8080, evidence=[f"{ln(T, 'shipping/src/main/java/com/instana/robotshop/shipping/Controller.java', 'CART_URL =')} CART_URL", f"{ln(T, 'shipping/Dockerfile', 'CART_ENDPOINT')} CART_ENDPOINT=cart:8080"]),
 dict(client="ratings", server="mysql", port=3306, evidence=[f"{ln(T, 'ratings/html/src/Kernel.php', 'pdo_dsn')} PDO mysql:host=mysql;dbname=ratings"]),
 dict(client="ratings", server="catalogue", port=8080, evidence=[f"{ln(T, 'ratings/html/src/Kernel.php', 'catalogueUrl')} http://catalogue:8080"]),
 dict(client="payment", server="user", port=8080, evidence=[f"{ln(T, 'payment/payment.py', 'user}:8080/check')} GET http://user:8080/check/<id>"]),
 dict(client="payment", server="cart", port=8080, evidence=[f"{ln(T, 'payment/payment.py', 'cart}:8080/cart')} DELETE http://cart:8080/cart/<id>"]),
 dict(client="payment", server="rabbitmq", port=5672, evidence=[f"{ln(T, 'payment/rabbitmq.py', 'AMQP_HOST')} AMQP_HOST default rabbitmq (publishes orders)"]),
 dict(client="dispatch", server="rabbitmq", port=5672, evidence=[f"{ln(T, 'dispatch/main.go', 'amqp://guest')} amqp://guest:guest@rabbitmq:5672/ (consumes orders)"]),
]
doc = dict(
    system="robot-shop", repository="instana/robot-shop", commit=commit(T),
    files_read=["docker-compose.yaml", W, "catalogue/server.js", "user/server.js", "cart/server.js", "payment/payment.py",
                "payment/rabbitmq.py", "dispatch/main.go", "ratings/html/src/Kernel.php",
                "shipping/src/main/java/com/instana/robotshop/shipping/{Controller,JpaConfig}.java", "shipping/Dockerfile"],
    derivation=("docker-compose.yaml for the service set; each edge from the client code's default host (all env "
                "overrides in docker-compose keep the defaults) and the nginx proxy_pass routes of web. Ports: every "
                "service listens on 8080 except ratings (Apache, 80). Left out: the PAYMENT_GATEWAY call to paypal.com "
                "(internet) and load-gen."),
    edges=E,
    architect_zones={"web": "web", "catalogue": "catalogue", "ratings": "catalogue", "user": "user", "cart": "cart",
                     "shipping": "shipping", "payment": "order", "dispatch": "order", "rabbitmq": "order",
                     "mongodb": "data", "redis": "data", "mysql": "data"},
    expected=dict(
        verdict_any_of=["insufficient_data", "marginal", "infeasible"],
        abstention_acceptable=True, zones_approx="2-4",
        shared_platform=["mongodb", "redis", "mysql"], orchestrators=["web", "payment"],
        rationale=("The data tier is shared across domains: one mongodb serves catalogue and user, one redis serves "
                   "user and cart, one mysql serves shipping and ratings. Domain zones therefore cut through every "
                   "database server; at best the three stores become a shared data zone (each has only two callers, "
                   "so it is shared by deployment shortcut rather than by platform design), and web (nginx, 6 routes) "
                   "plus payment (user, cart, rabbitmq) make most remaining calls cross-zone. Nothing is clearly "
                   "segmentable; 19 pairs is too few to judge, so abstention is the best answer and 'feasible' would "
                   "be wrong.")))
write("robot-shop", doc)
