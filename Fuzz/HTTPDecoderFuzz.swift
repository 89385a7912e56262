// libFuzzer entry point for the HTTP request decoder and the API's router:
// scripts/fuzz-http.sh compiles it together with their sources. Any crash, hang or
// sanitizer report is a bug.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var limits = HTTPLimits()
    limits.maximumBodyBytes = 4096
    limits.maximumHeaderBytes = 2048
    limits.maximumRequestLineBytes = 1024
    // Whole input at once, then the same input split where its first byte says: both must
    // give the same requests, since TCP may split a stream anywhere.
    let whole = decode([bytes[...]], limits: limits)
    let cut = size > 0 ? Int(bytes[0]) % (size + 1) : 0
    let split = decode([bytes[..<cut], bytes[cut...]], limits: limits)
    if whole != split { fatalError("split input decoded differently: \(whole) vs \(split)") }
    return 0
}

private func decode(_ pieces: [ArraySlice<UInt8>], limits: HTTPLimits) -> [String] {
    var decoder = HTTPDecoder(limits: limits)
    var seen: [String] = []
    for piece in pieces {
        decoder.feed(piece)
        do {
            while let event = try decoder.next() {
                switch event {
                case .request(let request):
                    seen.append("\(request.method) \(request.target) \(request.headers.count) \(request.body.count)")
                    seen.append(route(request))
                case .continueExpected:
                    seen.append("continue")
                }
            }
        } catch {
            seen.append("error \(error.status.code)")
            return seen
        }
    }
    return seen
}

/// What the router makes of a request; a refusal must be a 4xx.
private func route(_ request: HTTPRequest) -> String {
    _ = (request.keepAlive, request.acceptsGzip, request.host)
    do {
        return "\(try Route(method: request.method, target: request.target))"
    } catch {
        if !(400..<500).contains(error.status) { fatalError("router answered \(error.status)") }
        return "refused \(error.status)"
    }
}
