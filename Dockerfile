# The operator image: a static binary on distroless, running as non-root.
# Build with `make docker-build IMG=...` (needs a Docker engine).
# The builder's Go is the project's toolchain (GO_TOOLCHAIN in the Makefile;
# make verify checks that the two agree).
FROM golang:1.27.3 AS builder
ARG TARGETOS=linux
ARG TARGETARCH=amd64
WORKDIR /workspace
ENV GOTOOLCHAIN=local
COPY go.mod go.sum ./
# go.mod replaces the app's module with ./app for app/contract, the one app
# package the operator imports: the replace needs app/go.mod, the build the
# contract's sources, and nothing else of the app.
COPY app/go.mod app/
RUN go mod download
COPY api/ api/
COPY app/contract/ app/contract/
COPY cmd/ cmd/
COPY controllers/ controllers/
COPY internal/ internal/
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -trimpath -ldflags="-s -w" -o /docuflow ./cmd/docuflow

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=builder /docuflow /docuflow
USER 65532:65532
ENTRYPOINT ["/docuflow"]
CMD ["manager"]
