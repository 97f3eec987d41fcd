/// Valid documents each target starts from: every field the parsers know, so mutations reach deep code.
enum FuzzSeeds {
    static let nodeMetadata = """
        {"service_name": "server", "ads": true, "ingress_host": "0.0.0.0", "ingress_port": 5001,
         "egress_host": "0.0.0.0", "egress_port": "5000", "access_log_enabled": true, "access_log_path": "/dev/stdout",
         "access_log_filter": {"status_code_filter": "GE:500", "duration_filter": "GE:1000", "header_filter": "x-debug:^1$",
           "response_flag_filter": "UF,UH", "not_health_check_filter": true},
         "proxy_settings": {
           "outgoing": {"dependencies": [
             {"service": "backend", "timeoutPolicy": {"requestTimeout": "2s", "idleTimeout": "60s"},
              "retryPolicy": {"retryOn": ["5xx", "reset"], "numberRetries": 2, "perTryTimeoutMs": 500,
                "retryHostPredicate": [{"name": "envoy.retry_host_predicates.previous_hosts"}],
                "retryBackOff": {"baseInterval": "0.1s", "maxInterval": "1s"}, "retryableStatusCodes": [503]}},
             {"service": "*"}, {"domain": "https://api.example.com", "timeoutPolicy": {"requestTimeout": "5s"}},
             {"domain": "http://plain.example.com:8080", "handleInternalRedirect": true}, {"domainPattern": "*.example.org"}]},
           "incoming": {"unlistedEndpointsPolicy": "blockAndLog", "healthCheck": {"path": "/status/custom"},
             "timeoutPolicy": {"responseTimeout": "5s", "idleTimeout": "30s", "connectionIdleTimeout": "60s"},
             "roles": [{"name": "readers", "clients": ["client", "reporting"]}],
             "rateLimitEndpoints": [{"path": "/api/limited", "clients": ["client"], "rateLimit": "10/s"}],
             "endpoints": [{"path": "/health", "clients": ["*"]},
               {"pathPrefix": "/api/", "methods": ["GET", "HEAD"], "clients": ["readers", "vpn:admin"]},
               {"paths": ["/a", "/b"], "clients": ["client"], "unlistedClientsPolicy": "log"},
               {"pathRegex": "/admin/[0-9]+", "clients": ["admin"]}]}}}
        """

    static let remoteServices = """
        {"backend": {"localWeight": 90, "localities": [
           {"datacenter": "dc2", "priority": 0, "weight": 10, "instances": [
             {"id": "n1/backend-1", "address": "10.2.0.1", "port": 8080, "tags": ["v1", "canary"], "weight": 2, "meta": {"zone": "a"}}]},
           {"datacenter": "dc3", "priority": 1, "instances": [
             {"id": "backend-2", "address": "10.3.0.1", "port": 9090, "tags": [], "weight": 1, "meta": {}}]}]},
         "search": {"localities": [{"datacenter": "dc2", "priority": 1, "instances": []}]}}
        """

    static let datacenterState = """
        {"datacenter": "dc2", "index": 42, "bootId": "boot-7", "appliedRemoteVersion": null, "services": [
          {"name": "backend", "tags": ["v1"], "instances": [
            {"id": "n1/backend-1", "address": "10.2.0.1", "port": 8080, "tags": ["v1", "weight:3"], "weight": 3, "meta": {"k": "v"}},
            {"id": "n2/backend-2", "address": "10.2.0.2", "port": 8080, "tags": [], "weight": 1, "meta": {}}]},
          {"name": "search", "tags": [], "instances": []}]}
        """

    static let registryYAML = """
        services:
          - name: backend
            tags: [v1]
            instances:
              - { address: 127.0.0.1, port: 8081 }
              - { id: b2, address: 127.0.0.1, port: 8082, tags: [canary, "weight:3"], weight: 3, healthy: true }
              - id: b3
                address: 10.0.0.3
                port: 8083
                healthy: false
          - name: empty
        """

    static let policyYAML = """
        staleAfter: 60s
        dropAfter: 10m
        defaults: { failover: [dc2, dc3] }
        services:
          payments: { split: { dc1: 90, dc2: 10 } }
          search:   { failover: { dc1: [dc3, dc2] }, crossDc: true }
          local-only-svc: { crossDc: false }
        """

    static let consulHealth = """
        [{"Node": {"Node": "node-1", "Address": "10.0.0.1"},
          "Service": {"ID": "backend-1", "Service": "backend", "Address": "", "Port": 8080, "Tags": ["v1", "weight:2"],
                      "Meta": {"version": "1"}, "Weights": {"Passing": 3, "Warning": 1}},
          "Checks": [{"Status": "passing"}, {"Status": "passing"}]},
         {"Node": {"Node": "node-2", "Address": "10.0.0.2"},
          "Service": {"ID": "backend-2", "Address": "10.0.0.20", "Port": 8081, "Tags": null, "Meta": null},
          "Checks": [{"Status": "warning"}]}]
        """

    static let consulCatalog = """
        {"consul": [], "backend": ["v1", "canary"], "search": []}
        """
}
