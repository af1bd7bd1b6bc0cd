using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace JobTracking.PostgreSql.Tests;

/// <summary>
/// A TCP proxy between Npgsql and the PostgreSQL server that loses the acknowledgement of some commits: it reads the
/// wire protocol, and when the server answers a write batch of the store with ReadyForQuery (sent after the batch's
/// implicit transaction committed), it may close both connections instead of passing that message on. The client then
/// sees its connection drop after the server committed, as when a network fails at the worst moment.
/// </summary>
/// <remarks>
/// Which batches: every <see cref="DropEvery"/>th of the store's writer's batches (they begin with the statement that sets the transaction's settings)
/// that <see cref="Drops"/> chooses; counted, not drawn at random, so a run loses as many as the batches allow. The connection string it hands out disables TLS (the proxy must read
/// the messages) and automatic preparation (so every batch carries its SQL text).
/// </remarks>
public sealed class CommitDroppingProxy : IAsyncDisposable
{
    private const int SslRequest = 80877103;
    private const int GssEncRequest = 80877104;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _serverHost;
    private readonly int _serverPort;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<TcpClient, byte> _sockets = new();
    private readonly Task _accepting;
    private int _dropped;
    private int _batches;
    private int _eligible;

    private CommitDroppingProxy(string connectionString)
    {
        var server = new NpgsqlConnectionStringBuilder(connectionString);
        _serverHost = server.Host ?? "127.0.0.1";
        _serverPort = server.Port;
        _listener.Start();
        ConnectionString = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Host = "127.0.0.1",
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port,
            SslMode = SslMode.Disable,
            GssEncryptionMode = GssEncryptionMode.Disable,
            MaxAutoPrepare = 0,
        }.ConnectionString;
        _accepting = AcceptAsync(_stopping.Token);
    }

    /// <summary>Gets the connection string that goes through the proxy.</summary>
    public string ConnectionString { get; }

    /// <summary>Gets or sets which of the chosen write batches lose their acknowledgement: every nth; 0 for none.</summary>
    public int DropEvery { get; set; }

    /// <summary>Gets or sets which write batches may lose their acknowledgement, given the SQL texts of the batch's statements; every batch of the store's writer when <see langword="null"/>.</summary>
    public Func<IReadOnlyList<string>, bool>? Drops { get; set; }

    /// <summary>Gets how many connections were dropped right after a commit.</summary>
    public int Dropped => Volatile.Read(ref _dropped);

    /// <summary>Gets how many write batches of the store's writer went through.</summary>
    public int WriteBatches => Volatile.Read(ref _batches);

    public static CommitDroppingProxy Start(string connectionString) => new(connectionString);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        foreach (var socket in _sockets.Keys)
        {
            socket.Dispose();
        }

        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    private async Task AcceptAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(stopping);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var server = new TcpClient { NoDelay = true };
        client.NoDelay = true;
        _sockets[client] = 0;
        _sockets[server] = 0;
        try
        {
            await server.ConnectAsync(_serverHost, _serverPort);
            var connection = new Connection(this, client, server);
            await Task.WhenAny(connection.ClientToServerAsync(), connection.ServerToClientAsync());
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            _sockets.TryRemove(client, out _);
            _sockets.TryRemove(server, out _);
            client.Dispose();
        }
    }

    private bool Decide(IReadOnlyList<string> statements)
    {
        Interlocked.Increment(ref _batches);
        if (DropEvery <= 0 || (Drops is { } drops && !drops(statements)))
        {
            return false;
        }

        return Interlocked.Increment(ref _eligible) % DropEvery == 0;
    }

    /// <summary>One client connection and its server connection.</summary>
    private sealed class Connection(CommitDroppingProxy proxy, TcpClient client, TcpClient server)
    {
        // One entry per Sync (or simple query) the client sent: whether the ReadyForQuery that answers it is to be lost.
        private readonly ConcurrentQueue<bool> _answers = new();
        private int _rawReplies;

        public async Task ClientToServerAsync()
        {
            var from = new MessageReader(client.GetStream());
            var to = new BufferedStream(server.GetStream(), 65536);

            // The startup phase: length-prefixed packets without a type byte. An SSL or GSS encryption request is answered
            // with one raw byte ('N': we asked for neither).
            while (true)
            {
                var packet = await from.ReadUntypedAsync();
                if (packet is null)
                {
                    return;
                }

                var code = BinaryPrimitives.ReadInt32BigEndian(packet.AsSpan(4));
                if (code is SslRequest or GssEncRequest)
                {
                    Interlocked.Increment(ref _rawReplies);
                }

                await to.WriteAsync(packet);
                await to.FlushAsync();
                if (code is not (SslRequest or GssEncRequest))
                {
                    break;
                }
            }

            var statements = new List<string>();
            while (await from.ReadTypedAsync() is { } message)
            {
                switch ((char)message[0])
                {
                    case 'P': // Parse: statement name, then the SQL text
                        var nameEnd = Array.IndexOf(message, (byte)0, 5);
                        statements.Add(Encoding.UTF8.GetString(message, nameEnd + 1, Array.IndexOf(message, (byte)0, nameEnd + 1) - nameEnd - 1));
                        break;
                    case 'Q': // a simple query is its own batch
                        statements.Add(Encoding.UTF8.GetString(message, 5, message.Length - 6));
                        _answers.Enqueue(IsWriteBatch(statements) && proxy.Decide(statements));
                        statements = [];
                        break;
                    case 'S': // Sync: the batch ends, and its implicit transaction commits before ReadyForQuery
                        _answers.Enqueue(IsWriteBatch(statements) && proxy.Decide(statements));
                        statements = [];
                        break;
                }

                await to.WriteAsync(message);
                if (!from.HasBuffered)
                {
                    await to.FlushAsync();
                }
            }
        }

        public async Task ServerToClientAsync()
        {
            var from = new MessageReader(server.GetStream());
            var to = new BufferedStream(client.GetStream(), 65536);
            while (true)
            {
                if (Volatile.Read(ref _rawReplies) > 0)
                {
                    var reply = await from.ReadRawAsync(1);
                    if (reply is null)
                    {
                        return;
                    }

                    Interlocked.Decrement(ref _rawReplies);
                    await to.WriteAsync(reply);
                    await to.FlushAsync();
                    continue;
                }

                var message = await from.ReadTypedAsync();
                if (message is null)
                {
                    return;
                }

                // The first ReadyForQuery follows the login, with no Sync before it.
                if (message[0] == (byte)'Z' && _answers.TryDequeue(out var lose) && lose)
                {
                    Interlocked.Increment(ref proxy._dropped);
                    await to.FlushAsync();
                    client.Client.Close();
                    server.Client.Close();
                    return;
                }

                await to.WriteAsync(message);
                if (!from.HasBuffered)
                {
                    await to.FlushAsync();
                }
            }
        }

        private static bool IsWriteBatch(List<string> statements) =>
            statements.Exists(s => s.Contains("set_config('enable_bitmapscan'", StringComparison.Ordinal));
    }

    /// <summary>Reads whole protocol messages from a stream, through a buffer.</summary>
    private sealed class MessageReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[65536];
        private int _start;
        private int _end;

        public bool HasBuffered => _end > _start;

        /// <summary>A message: its type byte, its length and its body, as sent; null at the end of the stream.</summary>
        public async ValueTask<byte[]?> ReadTypedAsync()
        {
            if (!await FillAsync(5))
            {
                return null;
            }

            var length = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start + 1));
            return await ReadRawAsync(1 + length);
        }

        /// <summary>A startup packet: its length and its body, as sent; null at the end of the stream.</summary>
        public async ValueTask<byte[]?> ReadUntypedAsync()
        {
            if (!await FillAsync(4))
            {
                return null;
            }

            return await ReadRawAsync(BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start)));
        }

        public async ValueTask<byte[]?> ReadRawAsync(int count)
        {
            var result = new byte[count];
            var copied = 0;
            while (copied < count)
            {
                if (!HasBuffered && !await FillAsync(1))
                {
                    return null;
                }

                var n = Math.Min(count - copied, _end - _start);
                Buffer.BlockCopy(_buffer, _start, result, copied, n);
                _start += n;
                copied += n;
            }

            return result;
        }

        // Makes at least `count` bytes (at most the buffer's size) readable; false at the end of the stream.
        private async ValueTask<bool> FillAsync(int count)
        {
            if (_end - _start >= count)
            {
                return true;
            }

            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
            while (_end < count)
            {
                var read = await stream.ReadAsync(_buffer.AsMemory(_end));
                if (read == 0)
                {
                    return false;
                }

                _end += read;
            }

            return true;
        }
    }
}
