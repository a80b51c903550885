import io.isthmus.remoted.sdk.RemotedClient;
import io.isthmus.remoted.sdk.RemotedServerSocket;
import io.isthmus.remoted.sdk.RemotedSocket;
import io.isthmus.webroute.client.WebRouteConnection;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load generators of the Isthmus bench (bench/run.sh compiles this against the shipped executable, which
 * carries Netty and the WebRoute/Remoted clients). Every loop is bounded in count and in time. Results are
 * one JSON object on stdout; progress and errors go to stderr.
 *
 * <pre>
 * echo     --listen PORT [--webroute HOST:PORT PATH ID]...   echo server; each --webroute keeps one WebRoute
 *                                                              leg with that ID open (re-dialled after each link)
 * pingpong (--direct PORT | --webroute HOST:PORT PATH ID) --count N --warmup W --size S
 *                                                              one connection, S-byte messages, N timed round trips
 * pairs    --gateway HOST:PORT --pairs N --concurrency C [--max-seconds T]
 *                                                              N WebRoute pairs: link, one byte each way, close
 * remoted  --gateway HOST:PORT --server-key K --client-key K --count N --concurrency C [--max-seconds T]
 *                                                              N Remoted client connects through one registered server
 * hold     --gateway HOST:PORT --pairs N --concurrency C [--hold-seconds T]
 *                                                              N linked idle pairs, held until stdin closes or T passes
 * http     --target HOST:PORT --path P [--header "Name: value"]... --connections C --seconds T [--warmup-seconds W]
 *                                                              keep-alive GETs on C connections (one Netty thread, one
 *                                                              request in flight per connection) for W then T seconds;
 *                                                              requests/s, p50/p99 latency, body MiB/s
 * pairserver --listen PORT                                     the floor for "pairs": a minimal WebRoute pairing
 *                                                              server on one Netty epoll thread (no limits, no checks
 *                                                              beyond the ID, no metrics, no grace), for comparison
 * </pre>
 */
public final class BenchLoad {

    static final String GUID = "BE7204BD-47E6-49EE-9B0D-016E370644B2";
    static final SecureRandom RANDOM = new SecureRandom();

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
        }
        Args a = new Args(Arrays.copyOfRange(args, 1, args.length));
        switch (args[0]) {
            case "echo" -> echo(a);
            case "pingpong" -> pingPong(a);
            case "pairs" -> pairs(a, false);
            case "hold" -> pairs(a, true);
            case "remoted" -> remoted(a);
            case "pairserver" -> pairServer(a);
            case "http" -> http(a);
            default -> usage();
        }
    }

    static void usage() {
        System.err.println("usage: BenchLoad echo|pingpong|pairs|remoted|hold|http ... (see the class comment)");
        System.exit(64);
    }

    // ------------------------------------------------------------------ WebRoute wire

    static String newId() {
        byte[] b = new byte[20];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    static byte[] request(String hostPort, String path, String id, int timeoutSeconds) {
        return ("GET " + path + " HTTP/1.1\r\nHost: " + hostPort + "\r\nConnection: keep-alive, Upgrade\r\n"
                + "Upgrade: webroute\r\nWebRoute-Version: 1\r\nWebRoute-ID: " + id + "\r\n"
                + (timeoutSeconds > 0 ? "WebRoute-Timeout: " + timeoutSeconds + "\r\n" : "") + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    static String accept(String id) {
        try {
            return Base64.getEncoder().encodeToString(
                    MessageDigest.getInstance("SHA-1").digest((id + GUID).getBytes(StandardCharsets.ISO_8859_1)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads a response head byte by byte (never past it) and checks it is the right 101. */
    static void read101(InputStream in, String id) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed during the handshake: " + head);
            }
            head.append((char) b);
        }
        String h = head.toString();
        if (!h.startsWith("HTTP/1.1 101 ") || !h.contains(accept(id))) {
            throw new IOException("not the expected 101: " + h);
        }
    }

    static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    static Socket webRouteLeg(String gateway, String path, String id, int timeoutSeconds) throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(address(gateway), 10_000);
        s.getOutputStream().write(request(gateway, path, id, timeoutSeconds));
        read101(s.getInputStream(), id);
        return s;
    }

    // ------------------------------------------------------------------ echo and ping-pong

    static void echo(Args a) throws Exception {
        ServerSocket listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(new InetSocketAddress("127.0.0.1", a.integer("--listen")));
        for (List<String> leg : a.multi("--webroute", 3)) {
            daemon(() -> {
                // Bounded: one leg per link, and the bench kills this process when the suite ends.
                for (int links = 0; links < 100_000; links++) {
                    try (Socket s = webRouteLeg(leg.get(0), leg.get(1), leg.get(2), 600)) {
                        echoLoop(s);
                    } catch (IOException e) {
                        sleep(50);
                    }
                }
            });
        }
        System.err.println("echo on " + listener.getLocalSocketAddress());
        while (true) {
            Socket s = listener.accept();
            s.setTcpNoDelay(true);
            daemon(() -> {
                try (s) {
                    echoLoop(s);
                } catch (IOException ignored) {
                    // the client went away
                }
            });
        }
    }

    static void echoLoop(Socket s) throws IOException {
        byte[] buf = new byte[64 * 1024];
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        int n;
        while ((n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
        }
    }

    static void pingPong(Args a) throws Exception {
        int count = a.integer("--count");
        int warmup = a.integer("--warmup");
        int size = a.integer("--size");
        Socket s;
        if (a.has("--direct")) {
            s = new Socket();
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress("127.0.0.1", a.integer("--direct")), 10_000);
        } else {
            List<String> leg = a.multi("--webroute", 3).get(0);
            s = webRouteLeg(leg.get(0), leg.get(1), leg.get(2), 600);
        }
        s.setSoTimeout(10_000);
        byte[] msg = new byte[size];
        byte[] back = new byte[size];
        long[] rtt = new long[count];
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            for (int i = 0; i < warmup + count; i++) {
                msg[0] = (byte) i;
                long t0 = System.nanoTime();
                out.write(msg);
                int got = 0;
                while (got < size) {
                    int n = in.read(back, got, size - got);
                    if (n < 0) {
                        throw new IOException("closed after " + i + " round trips");
                    }
                    got += n;
                }
                long t1 = System.nanoTime();
                if (back[0] != msg[0]) {
                    throw new IOException("echo mismatch at " + i);
                }
                if (i >= warmup) {
                    rtt[i - warmup] = t1 - t0;
                }
            }
        }
        Arrays.sort(rtt);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("count", count);
        r.put("size", size);
        r.put("p50_us", rtt[(int) (count * 0.50)] / 1e3);
        r.put("p90_us", rtt[(int) (count * 0.90)] / 1e3);
        r.put("p99_us", rtt[(int) (count * 0.99)] / 1e3);
        r.put("p999_us", rtt[(int) (count * 0.999)] / 1e3);
        r.put("max_us", rtt[count - 1] / 1e3);
        r.put("mean_us", Arrays.stream(rtt).average().orElse(0) / 1e3);
        System.out.println(json(r));
    }

    // ------------------------------------------------------------------ WebRoute pairs (Netty, one thread)

    /**
     * Pair: legs A and B send the same fresh ID; once both have their 101, A sends one byte, B answers with
     * one byte, A closes; the pair is done when B sees the gateway close it. With {@code hold}, the pair
     * stays open instead once the two bytes have crossed.
     */
    static final class Pair {
        final long started = System.nanoTime();
        final String id = newId();
        final boolean hold;
        final Leg a = new Leg(this, true);
        final Leg b = new Leg(this, false);
        boolean failed;
        boolean finished;
        boolean closingA;
        long linkedAt;
        long answeredAt;

        final PairRun run;

        Pair(boolean hold, PairRun run) {
            this.hold = hold;
            this.run = run;
        }
    }

    static final class Leg extends ChannelInboundHandlerAdapter {
        final Pair pair;
        final boolean isA;
        final StringBuilder head = new StringBuilder();
        boolean linked;
        Channel channel;

        Leg(Pair pair, boolean isA) {
            this.pair = pair;
            this.isA = isA;
        }
    }

    static void pairs(Args a, boolean hold) throws Exception {
        String gateway = a.get("--gateway");
        int total = a.integer("--pairs");
        int concurrency = a.integer("--concurrency");
        int warmup = a.integer("--warmup-pairs", 0);
        long maxNanos = TimeUnit.SECONDS.toNanos(a.integer(hold ? "--hold-seconds" : "--max-seconds", 120));
        String path = a.get("--path", hold ? "/idle" : "/pairs");
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, io);
        Bootstrap boot = new Bootstrap().group(group)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, false)
                .remoteAddress(address(gateway))
                .handler(NOTHING);
        if (warmup > 0) {
            PairRun w = new PairRun(boot, gateway, path, warmup, concurrency, false);
            w.run(maxNanos);
            System.err.println("warm-up: " + json(w.result()));
        }
        PairRun run = new PairRun(boot, gateway, path, total, concurrency, hold);
        measuring();
        long cpu0 = processCpuNanos();
        run.run(maxNanos);
        Map<String, Object> result = run.result();
        result.put("load_cpu_s", (processCpuNanos() - cpu0) / 1e9);
        System.out.println(json(result));
        System.out.flush();
        if (hold) {
            // Held until the bench closes our stdin (or kills us), at most --hold-seconds.
            waitForStdinEnd(maxNanos);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }

    @io.netty.channel.ChannelHandler.Sharable
    static final class Nothing extends ChannelInboundHandlerAdapter {
    }

    static final Nothing NOTHING = new Nothing();

    /** One bounded run of pairs, all on the one event loop of {@code boot}. */
    static final class PairRun {
        final Bootstrap boot;
        final String gateway;
        final String path;
        final int total;
        final int concurrency;
        final boolean hold;
        final long[] latency;
        final long[] toLink;
        final long[] toAnswer;
        final long[] toEnd;
        final List<String> errorSamples = new ArrayList<>();
        final List<Channel> held = new ArrayList<>();
        final CountDownLatch finished = new CountDownLatch(1);
        int started;
        int done;
        int errors;
        long t0;
        long elapsed;
        boolean complete;

        PairRun(Bootstrap boot, String gateway, String path, int total, int concurrency, boolean hold) {
            this.boot = boot;
            this.gateway = gateway;
            this.path = path;
            this.total = total;
            this.concurrency = concurrency;
            this.hold = hold;
            this.latency = new long[total];
            this.toLink = new long[total];
            this.toAnswer = new long[total];
            this.toEnd = new long[total];
        }

        void run(long maxNanos) throws InterruptedException {
            t0 = System.nanoTime();
            boot.config().group().next().execute(() -> {
                for (int i = 0; i < Math.min(concurrency, total); i++) {
                    startOne();
                }
            });
            complete = finished.await(maxNanos, TimeUnit.NANOSECONDS);
            elapsed = System.nanoTime() - t0;
        }

        void startOne() {
            if (started >= total) {
                return;
            }
            started++;
            Pair pair = new Pair(hold, this);
            byte[] head = request(gateway, path, pair.id, hold ? 3600 : 0);
            for (Leg leg : new Leg[] {pair.a, pair.b}) {
                ChannelFuture f = boot.connect();
                leg.channel = f.channel();
                // Registration ran inline (we are on the loop), so nothing was read yet.
                leg.channel.pipeline().addLast(new PairHandler(leg));
                f.addListener(c -> {
                    if (!c.isSuccess()) {
                        end(pair, "connect: " + c.cause());
                    } else {
                        leg.channel.writeAndFlush(Unpooled.wrappedBuffer(head));
                    }
                });
            }
        }

        void end(Pair pair, String error) {
            if (pair.finished) {
                return;
            }
            pair.finished = true;
            if (error != null) {
                pair.failed = true;
                if (++errors <= 5) {
                    errorSamples.add(error);
                }
                pair.a.channel.close();
                pair.b.channel.close();
            } else {
                int i = done++;
                long now = System.nanoTime();
                latency[i] = now - pair.started;
                toLink[i] = pair.linkedAt - pair.started;
                toAnswer[i] = pair.answeredAt - pair.linkedAt;
                toEnd[i] = now - pair.answeredAt;
                if (hold) {
                    held.add(pair.a.channel);
                    held.add(pair.b.channel);
                }
            }
            if (done + errors >= total) {
                finished.countDown();
            } else {
                startOne();
            }
        }

        Map<String, Object> result() {
            int ok = done;
            long[] lat = Arrays.copyOf(latency, ok);
            Arrays.sort(lat);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("pairs", ok);
            r.put("errors", errors);
            r.put("complete", complete);
            r.put("concurrency", concurrency);
            r.put("seconds", elapsed / 1e9);
            r.put("pairs_per_s", ok / (elapsed / 1e9));
            r.put("p50_ms", ok == 0 ? 0 : lat[ok / 2] / 1e6);
            r.put("p99_ms", ok == 0 ? 0 : lat[(int) (ok * 0.99)] / 1e6);
            r.put("p50_link_ms", median(toLink, ok) / 1e6);
            r.put("p50_bytes_ms", median(toAnswer, ok) / 1e6);
            r.put("p50_close_ms", median(toEnd, ok) / 1e6);
            r.put("error_samples", new ArrayList<>(errorSamples));
            if (hold) {
                r.put("held_sockets", held.size());
            }
            return r;
        }
    }

    static final class PairHandler extends ChannelInboundHandlerAdapter {
        final Leg leg;

        PairHandler(Leg leg) {
            this.leg = leg;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf data = (ByteBuf) msg;
            try {
                Pair pair = leg.pair;
                if (pair.finished && !pair.failed && !pair.hold) {
                    return;
                }
                while (!leg.linked && data.isReadable()) {
                    leg.head.append((char) data.readByte());
                    int n = leg.head.length();
                    if (n >= 4 && leg.head.charAt(n - 1) == '\n' && leg.head.substring(n - 4).equals("\r\n\r\n")) {
                        String h = leg.head.toString();
                        if (!h.startsWith("HTTP/1.1 101 ") || !h.contains(accept(pair.id))) {
                            pair.run.end(pair, "refused: " + h.lines().findFirst().orElse(""));
                            return;
                        }
                        leg.linked = true;
                        if (pair.a.linked && pair.b.linked) {
                            pair.linkedAt = System.nanoTime();
                            pair.a.channel.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'x'}));
                        }
                    }
                }
                if (!data.isReadable()) {
                    return;
                }
                // One byte past the head: B got A's 'x' (answer 'y'); A got B's 'y' (done, or close A).
                if (!leg.isA) {
                    pair.b.channel.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'y'}));
                    return;
                }
                pair.answeredAt = System.nanoTime();
                if (pair.hold) {
                    pair.run.end(pair, null);
                } else {
                    pair.closingA = true;
                    pair.a.channel.close();
                }
            } finally {
                data.release();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            Pair pair = leg.pair;
            if (pair.finished || (leg.isA && pair.closingA)) {
                return;
            }
            // B closed by the gateway after A closed: the pair ran to its end.
            if (!leg.isA && pair.a.linked && pair.b.linked && !pair.a.channel.isActive()) {
                pair.run.end(pair, null);
            } else {
                pair.run.end(pair, (leg.isA ? "A" : "B") + " closed early: " + leg.head.toString().lines().findFirst().orElse("(nothing)"));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            leg.pair.run.end(leg.pair, cause.toString());
        }
    }

    /** Tells the bench (on stdout) that the measured phase starts now, after any warm-up. */
    static void measuring() {
        System.out.println("MEASURING");
        System.out.flush();
    }

    /** CPU time of this whole process (all threads: the load's own cost), in nanoseconds. */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    static long median(long[] values, int n) {
        if (n == 0) {
            return 0;
        }
        long[] v = Arrays.copyOf(values, n);
        Arrays.sort(v);
        return v[n / 2];
    }

    static void waitForStdinEnd(long maxNanos) throws Exception {
        Thread reader = daemon(() -> {
            try {
                while (System.in.read() >= 0) {
                    // wait for EOF
                }
            } catch (IOException ignored) {
                // EOF by error
            }
        });
        reader.join(TimeUnit.NANOSECONDS.toMillis(maxNanos));
    }


    // ------------------------------------------------------------------ HTTP keep-alive GETs (Bare)

    /**
     * C keep-alive connections on one Netty event loop, each with one GET in flight: the next is sent when the
     * previous response ends. Latencies of the measured phase go into per-connection arrays (bounded).
     */
    static void http(Args a) throws Exception {
        InetSocketAddress target = address(a.get("--target"));
        // A request object (not raw bytes): HttpClientCodec pairs each response with its request's method.
        io.netty.handler.codec.http.FullHttpRequest request = new io.netty.handler.codec.http.DefaultFullHttpRequest(
                io.netty.handler.codec.http.HttpVersion.HTTP_1_1, io.netty.handler.codec.http.HttpMethod.GET, a.get("--path"));
        request.headers().set("Host", a.get("--target"));
        for (List<String> h : a.multi("--header", 1)) {
            int colon = h.get(0).indexOf(':');
            request.headers().add(h.get(0).substring(0, colon).trim(), h.get(0).substring(colon + 1).trim());
        }
        int connections = a.integer("--connections");
        long warmupNanos = TimeUnit.SECONDS.toNanos(a.integer("--warmup-seconds", 2));
        long measureNanos = TimeUnit.SECONDS.toNanos(a.integer("--seconds"));
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory ioFactory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, ioFactory);
        long start = System.nanoTime();
        long measureFrom = start + warmupNanos;
        long end = measureFrom + measureNanos;
        AtomicLong requests = new AtomicLong();
        AtomicLong bodyBytes = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        List<long[]> latencies = new ArrayList<>();
        List<AtomicInteger> counts = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(connections);
        ConcurrentLinkedQueue<String> firstErrors = new ConcurrentLinkedQueue<>();
        long[] cpuAtMeasure = new long[1];
        try {
            for (int i = 0; i < connections; i++) {
                long[] lat = new long[2_000_000 / connections + 1];
                AtomicInteger count = new AtomicInteger();
                latencies.add(lat);
                counts.add(count);
                new Bootstrap().group(group).channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                        .option(ChannelOption.TCP_NODELAY, true)
                        .handler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel ch) {
                                ch.pipeline().addLast(new io.netty.handler.codec.http.HttpClientCodec());
                                ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                    long sent;

                                    void send(ChannelHandlerContext ctx) {
                                        if (System.nanoTime() >= end) {
                                            ctx.close();
                                            return;
                                        }
                                        sent = System.nanoTime();
                                        ctx.writeAndFlush(request.retainedDuplicate());
                                    }

                                    @Override
                                    public void channelActive(ChannelHandlerContext ctx) {
                                        send(ctx);
                                    }

                                    @Override
                                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                        if (msg instanceof io.netty.handler.codec.http.HttpResponse r && r.status().code() != 200) {
                                            errors.incrementAndGet();
                                            if (firstErrors.size() < 3) {
                                                firstErrors.add(r.status().toString());
                                            }
                                        }
                                        if (msg instanceof io.netty.handler.codec.http.HttpContent c) {
                                            long now = System.nanoTime();
                                            if (now >= measureFrom) {
                                                bodyBytes.addAndGet(c.content().readableBytes());
                                            }
                                            if (msg instanceof io.netty.handler.codec.http.LastHttpContent) {
                                                if (sent >= measureFrom) {
                                                    requests.incrementAndGet();
                                                    int n = count.getAndIncrement();
                                                    if (n < lat.length) {
                                                        lat[n] = now - sent;
                                                    }
                                                }
                                                c.release();
                                                send(ctx);
                                                return;
                                            }
                                        }
                                        io.netty.util.ReferenceCountUtil.release(msg);
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        done.countDown();
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        errors.incrementAndGet();
                                        if (firstErrors.size() < 3) {
                                            firstErrors.add(cause.toString());
                                        }
                                        ctx.close();
                                    }
                                });
                            }
                        }).connect(target).addListener((ChannelFuture f) -> {
                            if (!f.isSuccess()) {
                                errors.incrementAndGet();
                                firstErrors.add(f.cause().toString());
                                done.countDown();
                            }
                        });
            }
            sleep(Math.max(0, TimeUnit.NANOSECONDS.toMillis(measureFrom - System.nanoTime())));
            measuring();
            cpuAtMeasure[0] = processCpuNanos();
            if (!done.await(TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()) + 30_000, TimeUnit.MILLISECONDS)) {
                System.err.println("http: connections still open 30 s after the end");
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        int total = 0;
        for (AtomicInteger c : counts) {
            total += Math.min(c.get(), latencies.get(0).length);
        }
        long[] all = new long[total];
        int k = 0;
        for (int i = 0; i < connections; i++) {
            int n = Math.min(counts.get(i).get(), latencies.get(i).length);
            System.arraycopy(latencies.get(i), 0, all, k, n);
            k += n;
        }
        Arrays.sort(all);
        double seconds = measureNanos / 1e9;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("requests", requests.get());
        out.put("seconds", seconds);
        out.put("rps", requests.get() / seconds);
        out.put("p50_ms", all.length == 0 ? 0.0 : all[all.length / 2] / 1e6);
        out.put("p99_ms", all.length == 0 ? 0.0 : all[(int) Math.min(all.length - 1, all.length * 0.99)] / 1e6);
        out.put("mib_per_s", bodyBytes.get() / 1048576.0 / seconds);
        out.put("errors", errors.get());
        out.put("first_errors", new ArrayList<>(firstErrors));
        out.put("load_cpu_s", (processCpuNanos() - cpuAtMeasure[0]) / 1e9);
        System.out.println(json(out));
    }

    // ------------------------------------------------------------------ Remoted

    static void remoted(Args a) throws Exception {
        String gateway = a.get("--gateway");
        String path = a.get("--path", "/remoted-bench/");
        int total = a.integer("--count");
        int concurrency = a.integer("--concurrency");
        long maxNanos = TimeUnit.SECONDS.toNanos(a.integer("--max-seconds", 120));
        ExecutorService serving = Executors.newCachedThreadPool(r -> daemonThread(r));
        AtomicInteger served = new AtomicInteger();
        try (RemotedServerSocket server = RemotedServerSocket.open("rws://" + a.get("--server-key") + "@" + gateway + path)) {
            if (!server.awaitRegistered(java.time.Duration.ofSeconds(10))) {
                throw new IOException("the bench server could not register at " + gateway + path);
            }
            daemon(() -> {
                while (true) {
                    RemotedSocket s;
                    try {
                        s = server.accept();
                    } catch (Exception e) {
                        return;
                    }
                    serving.execute(() -> {
                        try (s) {
                            InputStream in = s.getInputStream();
                            int b = in.read();
                            if (b >= 0) {
                                s.getOutputStream().write(b + 1);
                                s.getOutputStream().flush();
                                while (in.read() >= 0) {
                                    // until the client's end
                                }
                            }
                            served.incrementAndGet();
                        } catch (IOException ignored) {
                            // the client went away
                        }
                    });
                }
            });
            String url = "rwr://" + a.get("--client-key") + "@" + gateway + path;
            int warmup = a.integer("--warmup", 0);
            if (warmup > 0) {
                System.err.println("warm-up: " + json(connects(url, warmup, concurrency, maxNanos)));
            }
            measuring();
            long cpu0 = processCpuNanos();
            Map<String, Object> r = connects(url, total, concurrency, maxNanos);
            r.put("load_cpu_s", (processCpuNanos() - cpu0) / 1e9);
            System.out.println(json(r));
        }
        serving.shutdownNow();
    }

    /** {@code total} Remoted client connects, {@code concurrency} at a time: one byte there, its answer back, close. */
    static Map<String, Object> connects(String url, int total, int concurrency, long maxNanos) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        ConcurrentLinkedQueue<String> samples = new ConcurrentLinkedQueue<>();
        long[] latency = new long[total];
        AtomicInteger ok = new AtomicInteger();
        long deadline = System.nanoTime() + maxNanos;
        long t0 = System.nanoTime();
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < concurrency; w++) {
            workers.add(daemon(() -> {
                while (next.getAndIncrement() < total && System.nanoTime() < deadline) {
                    long s0 = System.nanoTime();
                    try (WebRouteConnection c = RemotedClient.connect(url, null)) {
                        c.output().write(41);
                        c.output().flush();
                        int back = c.input().read();
                        if (back != 42) {
                            throw new IOException("expected the server's answer, got " + back);
                        }
                        latency[ok.getAndIncrement()] = System.nanoTime() - s0;
                    } catch (Exception e) {
                        if (errors.incrementAndGet() <= 5) {
                            samples.add(e.toString());
                        }
                    }
                }
            }));
        }
        for (Thread t : workers) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 1000));
        }
        long elapsed = System.nanoTime() - t0;
        int n = ok.get();
        long[] lat = Arrays.copyOf(latency, n);
        Arrays.sort(lat);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("connects", n);
        r.put("errors", errors.get());
        r.put("concurrency", concurrency);
        r.put("seconds", elapsed / 1e9);
        r.put("connects_per_s", n / (elapsed / 1e9));
        r.put("p50_ms", n == 0 ? 0 : lat[n / 2] / 1e6);
        r.put("p99_ms", n == 0 ? 0 : lat[(int) (n * 0.99)] / 1e6);
        r.put("error_samples", new ArrayList<>(samples));
        return r;
    }

    // ------------------------------------------------------------------ the pairing floor

    /**
     * The least a WebRoute pairing server must do, on one Netty epoll thread: read a head, take its
     * WebRoute-ID, park the first of two, answer both with the 101, then relay bytes and close the partner when
     * one side ends. It checks nothing else and keeps no metrics: the floor that a real gateway's handshake,
     * limits, metrics and splice engine are measured against.
     */
    static void pairServer(Args a) throws Exception {
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        Map<String, Channel> waiting = new java.util.HashMap<>();
        io.netty.util.AttributeKey<Channel> partner = io.netty.util.AttributeKey.valueOf("partner");
        new io.netty.bootstrap.ServerBootstrap().group(group)
                .channel(epoll ? io.netty.channel.epoll.EpollServerSocketChannel.class
                        : io.netty.channel.socket.nio.NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            ByteBuf head;

                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ByteBuf data = (ByteBuf) msg;
                                Channel other = ctx.channel().attr(partner).get();
                                if (other != null) {
                                    other.writeAndFlush(data);
                                    return;
                                }
                                if (head == null) {
                                    head = ctx.alloc().buffer();
                                }
                                head.writeBytes(data);
                                data.release();
                                String text = head.toString(StandardCharsets.ISO_8859_1);
                                int end = text.indexOf("\r\n\r\n");
                                if (end < 0) {
                                    return;
                                }
                                head.release();
                                head = null;
                                int at = text.toLowerCase(Locale.ROOT).indexOf("\nwebroute-id:");
                                String id = at < 0 ? "" : text.substring(at + 13, text.indexOf('\r', at + 1)).trim();
                                Channel first = waiting.remove(id);
                                if (first == null) {
                                    waiting.put(id, ctx.channel());
                                    return;
                                }
                                byte[] ok = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: webroute\r\nConnection: Upgrade\r\n"
                                        + "Sec-WebRoute-Accept: " + accept(id) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
                                first.attr(partner).set(ctx.channel());
                                ctx.channel().attr(partner).set(first);
                                first.writeAndFlush(Unpooled.wrappedBuffer(ok));
                                ctx.writeAndFlush(Unpooled.wrappedBuffer(ok));
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                if (head != null) {
                                    head.release();
                                }
                                Channel other = ctx.channel().attr(partner).get();
                                if (other != null) {
                                    other.close();
                                }
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                ctx.close();
                            }
                        });
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", a.integer("--listen"))).sync();
        System.err.println("pair server on 127.0.0.1:" + a.integer("--listen"));
        // Bounded: the bench kills it; at most an hour otherwise.
        group.awaitTermination(1, TimeUnit.HOURS);
    }

    // ------------------------------------------------------------------ small things

    static Thread daemon(Runnable r) {
        Thread t = daemonThread(r);
        t.start();
        return t;
    }

    static Thread daemonThread(Runnable r) {
        Thread t = new Thread(r);
        t.setDaemon(true);
        return t;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String json(Map<String, Object> m) {
        StringBuilder s = new StringBuilder("{");
        for (Map.Entry<String, Object> e : m.entrySet()) {
            if (s.length() > 1) {
                s.append(", ");
            }
            s.append('"').append(e.getKey()).append("\": ").append(value(e.getValue()));
        }
        return s.append('}').toString();
    }

    static String value(Object v) {
        if (v instanceof Double d) {
            return String.format(Locale.ROOT, "%.3f", d);
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        if (v instanceof List<?> list) {
            List<String> parts = new ArrayList<>();
            for (Object o : list) {
                parts.add(value(o));
            }
            return "[" + String.join(", ", parts) + "]";
        }
        String text = String.valueOf(v).replace("\\", "\\\\").replace("\"", "\\\"").replace("\r", "\\r").replace("\n", "\\n");
        return '"' + text + '"';
    }

    /** --name value options; repeated options keep every occurrence. */
    static final class Args {
        final String[] argv;

        Args(String[] argv) {
            this.argv = argv;
        }

        boolean has(String name) {
            return Arrays.asList(argv).contains(name);
        }

        String get(String name) {
            for (int i = 0; i < argv.length - 1; i++) {
                if (argv[i].equals(name)) {
                    return argv[i + 1];
                }
            }
            throw new IllegalArgumentException("missing " + name);
        }

        String get(String name, String dflt) {
            return has(name) ? get(name) : dflt;
        }

        int integer(String name) {
            return Integer.parseInt(get(name));
        }

        int integer(String name, int dflt) {
            return has(name) ? integer(name) : dflt;
        }

        List<List<String>> multi(String name, int arity) {
            List<List<String>> all = new ArrayList<>();
            for (int i = 0; i < argv.length; i++) {
                if (argv[i].equals(name)) {
                    all.add(Arrays.asList(argv).subList(i + 1, i + 1 + arity));
                    i += arity;
                }
            }
            return all;
        }
    }

    private BenchLoad() {
    }
}
