# MorphicLab job server.
#   docker build -t morphiclab .
#   docker run -p 8080:8080 -e MORPHIC_API_TOKEN=$(openssl rand -hex 24) -v morphic-data:/data morphiclab
# Without MORPHIC_API_TOKEN the server listens on loopback only, which a container's port
# mapping cannot reach: set a token to use it from outside.

FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends zlib1g-dev libcurl4-openssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Package.swift names Tests/TestSupport (a test target), so the tests' sources come too;
# only the morphic product is built.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product morphic \
    && install -D "$(swift build -c release --show-bin-path)/morphic" /out/morphic

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends zlib1g libcurl4 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 morphic \
    && useradd --system --uid 10001 --gid 10001 --home /srv/morphic morphic \
    && mkdir -p /data && chown morphic:morphic /data
COPY --from=build /out/morphic /usr/local/bin/morphic
WORKDIR /srv/morphic
COPY Public ./Public
COPY Config ./Config
USER morphic
ENV MORPHIC_HOST=0.0.0.0 MORPHIC_PORT=8080 MORPHIC_DATA_DIR=/data
EXPOSE 8080
VOLUME ["/data"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["morphic"]
CMD ["serve"]
