from common import commit, ln, near, write

T = "Microservice-API-Patterns+LakesideMutual"
DC = "docker-compose.yml"
E = []
for c, f in [("customer-management-backend", "customer-management-backend/src/main/java/com/lakesidemutual/customermanagement/infrastructure/CustomerCoreClient.java"),
             ("policy-management-backend", "policy-management-backend/src/main/java/com/lakesidemutual/policymanagement/infrastructure/CustomerCoreRemoteProxy.java"),
             ("customer-self-service-backend", "customer-self-service-backend/src/main/java/com/lakesidemutual/customerselfservice/infrastructure/CustomerCoreRemoteProxy.java")]:
    E.append(dict(client=c, server="customer-core", port=8110, evidence=[
        f"{ln(T, f, 'customercore.baseURL')} REST client on customercore.baseURL",
        f"{near(T, DC, c + ':', 'CUSTOMERCORE', 12)}.. docker-compose {c} CUSTOMERCORE_BASEURL=http://customer-core:8110"]))
E.append(dict(client="customer-self-service-backend", server="policy-management-backend", port=61616, evidence=[
    f"{ln(T, DC, 'POLICYMANAGEMENT_TCPBROKERBINDADDRESS')} tcp://policy-management-backend:61616 (ActiveMQ broker embedded in policy-management)",
    f"{ln(T, 'customer-self-service-backend/src/main/java/com/lakesidemutual/customerselfservice/interfaces/configuration/MessagingConfiguration.java', 'tcpBrokerBindAddress')} JMS connection factory"]))
E.append(dict(client="risk-management-server", server="policy-management-backend", port=61613, evidence=[
    f"{ln(T, DC, 'ACTIVEMQ_HOST=policy-management-backend')} ACTIVEMQ_HOST/ACTIVEMQ_PORT=61613 (STOMP consumer of policy events)"]))
BACK = {"customer-core": 8110, "customer-management-backend": 8100, "policy-management-backend": 8090,
        "customer-self-service-backend": 8080}
for s, p in BACK.items():
    E.append(dict(client=s, server="spring-boot-admin", port=9000, evidence=[
        f"{ln(T, s + '/src/main/resources/application.properties', 'spring.boot.admin.client.url')} Spring Boot Admin client registers",
        f"{near(T, DC, '  ' + s + ':', 'SPRING_BOOT_ADMIN_CLIENT_URL', 12)}.. SPRING_BOOT_ADMIN_CLIENT_URL=http://spring-boot-admin:9000"]))
    E.append(dict(client="spring-boot-admin", server=s, port=p, evidence=[
        f"{ln(T, s + '/src/main/resources/application.properties', 'server.port')} server.port {p}; the admin server polls each registered client's actuator endpoints"]))
doc = dict(
    system="lakeside-mutual", repository="Microservice-API-Patterns/LakesideMutual", commit=commit(T),
    files_read=[DC, "*/src/main/resources/application.properties",
                "*/infrastructure/CustomerCore{Client,RemoteProxy}.java", "*/interfaces/configuration/MessagingConfiguration.java"],
    derivation=("docker-compose.yml environment (CUSTOMERCORE_BASEURL, POLICYMANAGEMENT_TCPBROKERBINDADDRESS, "
                "ACTIVEMQ_HOST/PORT, SPRING_BOOT_ADMIN_CLIENT_URL) confirmed by the Feign/RestTemplate proxies and JMS "
                "configuration in the backends. The three frontends are single-page apps: the *browser* calls the "
                "backends (REACT_APP_*=http://localhost:...), so they add no service-to-service edge. Databases are "
                "embedded H2 files. Left out: risk-management-client (a CLI that calls risk-management-server:50051 "
                "from a user's machine)."),
    edges=E,
    domains={"customer-core": "Customer Core", "customer-management-backend": "Customer Management",
             "customer-self-service-backend": "Customer Self-Service", "policy-management-backend": "Policy Management",
             "risk-management-server": "Risk Management", "spring-boot-admin": "Operations"},
    domains_source=("README.md and the repository layout: one application (backend + frontend) per bounded context of "
                    "the fictitious insurer; spring-boot-admin labelled Operations here (the README lists it as the "
                    "monitoring tool, not a context)."),
    architect_zones={"customer-core": "customer-core", "customer-management-backend": "customer-management",
                     "customer-self-service-backend": "customer-self-service", "policy-management-backend": "policy",
                     "risk-management-server": "risk", "spring-boot-admin": "management"},
    expected=dict(
        verdict_any_of=["insufficient_data"],
        abstention_acceptable=True, zones_approx="5 (one per bounded context) - too small to infer",
        shared_platform=["customer-core"], orchestrators=[],
        rationale=("Six services and 13 pairs, half of them Spring Boot Admin registration/polling. customer-core is the "
                   "upstream (shared kernel) called by the three other business backends; policy-management embeds the "
                   "message broker. Every bounded context is one service, so every business call crosses contexts by "
                   "design. Nothing here can be inferred from traffic; the only right answer is to abstain (and show "
                   "the declared contexts).")))
write("lakeside-mutual", doc)
