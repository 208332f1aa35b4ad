import JobForgeServer

/// The loopback fakes use the server's pool (Nagle off), so that they answer as fast as `serve`.
public typealias NoDelaySocketPool = JobForgeServer.NoDelaySocketPool
