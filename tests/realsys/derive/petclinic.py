from common import commit, ln, write

T = "spring-petclinic+spring-petclinic-microservices"
C = "spring-petclinic+spring-petclinic-microservices-config"
CR = "spring-petclinic/spring-petclinic-microservices-config@" + commit(C)
PORT = {"api-gateway": 8080, "customers-service": 8081, "visits-service": 8082, "vets-service": 8083, "genai-service": 8084,
        "config-server": 8888, "discovery-server": 8761, "tracing-server": 9411, "admin-server": 9090,
        "prometheus-server": 9090, "grafana-server": 3000}
GW = "spring-petclinic-api-gateway/src/main/resources/application.yml"
E = []
for s in ["vets-service", "visits-service", "customers-service", "genai-service"]:
    E.append(dict(client="api-gateway", server=s, port=PORT[s], evidence=[
        f"{ln(T, GW, 'uri: lb://' + s)} gateway route uri lb://{s}",
        f"{CR} {s}.yml server.port {PORT[s]}"]))
E.append(dict(client="genai-service", server="vets-service", port=8083, evidence=[
    f"{ln(T, 'spring-petclinic-genai-service/src/main/java/org/springframework/samples/petclinic/genai/VectorStoreController.java', 'http://vets-service/')} http://vets-service/"]))
E.append(dict(client="genai-service", server="customers-service", port=8081, evidence=[
    f"{ln(T, 'spring-petclinic-genai-service/src/main/java/org/springframework/samples/petclinic/genai/AIDataProvider.java', 'customers-service')} discoveryClient.getInstances(\"customers-service\")"]))
apps = {"discovery-server": "spring-petclinic-discovery-server", "customers-service": "spring-petclinic-customers-service",
        "visits-service": "spring-petclinic-visits-service", "vets-service": "spring-petclinic-vets-service",
        "genai-service": "spring-petclinic-genai-service", "api-gateway": "spring-petclinic-api-gateway",
        "admin-server": "spring-petclinic-admin-server"}
for s, d in apps.items():
    E.append(dict(client=s, server="config-server", port=8888, evidence=[
        f"{ln(T, d + '/src/main/resources/application.yml', 'configserver:http://config-server:8888')} spring.config.import configserver:http://config-server:8888 (docker profile)"]))
for s, d in apps.items():
    if s == "discovery-server":
        continue
    E.append(dict(client=s, server="discovery-server", port=8761, evidence=[
        f"{CR} {s}.yml eureka.client.serviceUrl.defaultZone http://discovery-server:8761/eureka/",
        f"{ln(T, d + '/pom.xml', 'eureka-client')} spring-cloud-starter-netflix-eureka-client"]))
for s in ["customers-service", "visits-service", "vets-service", "genai-service", "api-gateway"]:
    E.append(dict(client=s, server="tracing-server", port=9411, evidence=[
        f"{CR} application.yml (docker profile) management.tracing.export.zipkin.endpoint http://tracing-server:9411/api/v2/spans",
        f"{ln(T, apps[s] + '/pom.xml', 'zipkin')} zipkin reporter dependency"]))
for s in ["customers-service", "visits-service", "vets-service", "genai-service", "api-gateway"]:
    E.append(dict(client="admin-server", server=s, port=PORT[s], evidence=[
        f"{ln(T, 'spring-petclinic-admin-server/pom.xml', 'eureka-client')} Spring Boot Admin discovers instances through Eureka and polls their /actuator endpoints"]))
for s in ["api-gateway", "customers-service", "visits-service", "vets-service"]:
    E.append(dict(client="prometheus-server", server=s, port=PORT[s], evidence=[
        f"{ln(T, 'docker/prometheus/prometheus.yml', s + ':' + str(PORT[s]))} scrape target {s}:{PORT[s]}"]))
E.append(dict(client="grafana-server", server="prometheus-server", port=9090, evidence=[
    f"{ln(T, 'docker/grafana/provisioning/datasources/all.yml', 'prometheus-server:9090')} datasource url http://prometheus-server:9090"]))
doc = dict(
    system="spring-petclinic-microservices", repository="spring-petclinic/spring-petclinic-microservices", commit=commit(T),
    related_repositories=[CR],
    files_read=["docker-compose.yml", GW, "*/src/main/resources/application.yml", "*/pom.xml",
                "spring-petclinic-genai-service/src/main/java/.../genai/{VectorStoreController,AIDataProvider}.java",
                "docker/prometheus/prometheus.yml", "docker/grafana/provisioning/datasources/all.yml",
                CR + ": application.yml, <service>.yml"],
    derivation=("Services of docker-compose.yml (docker profile). Business edges: API-gateway routes (lb://<svc>) and "
                "genai-service's calls to vets-service and customers-service. Platform edges: every Spring app imports "
                "config from config-server:8888; every Eureka client registers with discovery-server:8761; apps with the "
                "zipkin reporter send spans to tracing-server:9411 (docker profile of the config repo). Management edges: "
                "admin-server polls the registered apps' actuators; prometheus scrapes the four targets of prometheus.yml; "
                "grafana reads prometheus. Ports from the config repo's <service>.yml. Each business service uses an "
                "embedded HSQLDB (no database node). Left out: genai-service's calls to OpenAI (internet)."),
    edges=E,
    architect_zones={"api-gateway": "business", "customers-service": "business", "visits-service": "business",
                     "vets-service": "business", "genai-service": "business", "config-server": "shared",
                     "discovery-server": "shared", "tracing-server": "shared", "admin-server": "management",
                     "prometheus-server": "management", "grafana-server": "management"},
    expected=dict(
        verdict_any_of=["insufficient_data", "feasible_with_exceptions", "marginal"],
        abstention_acceptable=True, zones_approx="2-3: shared platform, business apps, management plane",
        shared_platform=["config-server", "discovery-server", "tracing-server"],
        orchestrators=["api-gateway", "admin-server", "prometheus-server"],
        rationale=("Two thirds of the pairs are platform plumbing: config-server (7 callers), discovery-server (6) and "
                   "tracing-server (5) are textbook shared services. admin-server and prometheus-server are the "
                   "opposite - management-plane pollers that call every app; they must stay workloads (a management zone "
                   "whose outbound scrapes are explicit rules), not be carved out as shared. What remains is a gateway "
                   "in front of four independent services with embedded databases, genai-service reading vets and "
                   "customers: one business zone (6 local pairs) and a management zone whose 9 scrape/poll pairs are the "
                   "exceptions - few rules, but little isolation (the business apps share one zone). Statistics cannot "
                   "speak at 34 pairs: abstain, or feasible_with_exceptions / marginal with the platform shared; "
                   "'infeasible' because of the pollers, or 'feasible' with admin/prometheus carved out as shared, "
                   "would be wrong.")))
write("spring-petclinic-microservices", doc)
