#!/usr/bin/env bash
# Copy the text blobs of each mirrored repository (HEAD) to $REALSYS_SRC/<owner>+<name>/ for the derivation scripts.
set -euo pipefail
SRC=${REALSYS_SRC:-/tmp/rs}
MIRRORS=${REALSYS_MIRRORS:-/work/.mirror}
for d in GoogleCloudPlatform+microservices-demo microservices-demo+microservices-demo instana+robot-shop \
         DescartesResearch+TeaStore delimitrou+DeathStarBench spring-petclinic+spring-petclinic-microservices \
         spring-petclinic+spring-petclinic-microservices-config dotnet+eShop Microservice-API-Patterns+LakesideMutual \
         FudanSELab+train-ticket; do
  git -C "$MIRRORS/$d/repo" ls-tree -r HEAD | while read -r _mode type sha path; do
    [ "$type" = blob ] || continue
    case "$path" in *.png|*.jpg|*.gif|*.jar|*.svg|*.ico|*.woff*|*.ttf|*.pdf) continue;; esac
    out="$SRC/$d/$path"
    [ -f "$out" ] && continue
    mkdir -p "$(dirname "$out")"
    git -C "$MIRRORS/$d/repo" cat-file blob "$sha" > "$out" 2>/dev/null || rm -f "$out"
  done
done
