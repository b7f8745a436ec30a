from common import commit, ln, write

T = "DescartesResearch+TeaStore"
C = "examples/docker/docker-compose_default.yaml"
WEB = "services/tools.descartes.teastore.webui/src/main/java"
def code(svc, target):
    import subprocess
    out = subprocess.run(["grep", "-rn", f"Service.{target}", f"/tmp/rs/{T}/services/tools.descartes.teastore.{svc}/src/main/java"], capture_output=True, text=True).stdout.splitlines()
    f, line, _ = out[0].split(":", 2)
    return f"{f.replace(f'/tmp/rs/{T}/', '')}:{line} Service.{target} (registry client load-balanced REST call)"
E = []
for s in ["auth", "image", "persistence", "recommender"]:
    E.append(dict(client="webui", server=s, port=8080, evidence=[code("webui", s.upper())]))
for s in ["auth", "image", "recommender"]:
    E.append(dict(client=s, server="persistence", port=8080, evidence=[code(s, "PERSISTENCE")]))
E.append(dict(client="persistence", server="db", port=3306, evidence=[f"{ln(T, C, 'DB_HOST')} persistence env DB_HOST=db DB_PORT=3306"]))
for s in ["persistence", "auth", "image", "recommender", "webui"]:
    E.append(dict(client=s, server="registry", port=8080, evidence=[
        f"{ln(T, C, 'REGISTRY_HOST', ['persistence','auth','image','recommender','webui'].index(s) + 1)} {s} env REGISTRY_HOST=registry",
        "utilities/tools.descartes.teastore.registryclient: every service registers itself and looks up peers"]))
doc = dict(
    system="teastore", repository="DescartesResearch/TeaStore", commit=commit(T),
    files_read=[C, "utilities/tools.descartes.teastore.registryclient/src/main/java/tools/descartes/teastore/registryclient/Service.java",
                "services/*/src/main/java (Service.<NAME> uses)"],
    derivation=("Services from examples/docker/docker-compose_default.yaml; service-to-service calls from the uses of the "
                "registryclient Service enum (ServiceLoadBalancer REST calls) in each service's main code; a service's "
                "use of its own enum value is self-registration and is not an edge. All services listen on 8080 (expose), "
                "db on 3306."),
    edges=E,
    architect_zones={"webui": "web", "auth": "auth", "image": "image", "recommender": "recommender",
                     "persistence": "data", "db": "data", "registry": "shared"},
    expected=dict(
        verdict_any_of=["insufficient_data", "infeasible"],
        abstention_acceptable=True, zones_approx="1-2",
        shared_platform=["registry", "persistence"], orchestrators=["webui"],
        rationale=("Seven services: a registry every service calls, a persistence service every other service calls "
                   "(the only path to the database), and a webui that calls all four back-ends. It is a double star with "
                   "no domain structure to zone: once registry and persistence are treated as shared nothing local is "
                   "left but webui's fan-out. 13 pairs and 7 services are below any sensible minimum; the engine should "
                   "abstain (and must not call it feasible).")))
write("teastore", doc)
