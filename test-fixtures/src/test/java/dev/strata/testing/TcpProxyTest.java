package dev.strata.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TcpProxyTest {

    private ServerSocket echo;
    private Thread echoThread;

    @BeforeEach
    void startEchoServer() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        echoThread = new Thread(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    Thread t = new Thread(() -> {
                        try (s;
                                InputStream in = s.getInputStream();
                                OutputStream out = s.getOutputStream()) {
                            in.transferTo(out);
                        } catch (IOException e) {
                            // client gone
                        }
                    });
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        echoThread.setDaemon(true);
        echoThread.start();
    }

    @AfterEach
    void stopEchoServer() throws IOException {
        echo.close();
    }

    @Test
    void cutWhereDropsAndHoldsOnlyTheConnectionsWhoseFirstBytesMatch() throws IOException {
        try (TcpProxy proxy = TcpProxy.start(echo.getLocalPort());
                Socket seven = connect(proxy);
                Socket eight = connect(proxy)) {
            assertThat(roundTrip(seven, (byte) 7)).isEqualTo(7);
            assertThat(roundTrip(eight, (byte) 8)).isEqualTo(8);
            proxy.cutWhere(first -> first[0] == 7);
            assertThat(seven.getInputStream().read())
                    .as("the matching connection is dropped")
                    .isEqualTo(-1);
            assertThat(roundTrip(eight, (byte) 8))
                    .as("the other one is forwarded")
                    .isEqualTo(8);
            try (Socket newSeven = connect(proxy);
                    Socket newNine = connect(proxy)) {
                assertThat(roundTrip(newNine, (byte) 9)).isEqualTo(9);
                newSeven.setSoTimeout(300);
                newSeven.getOutputStream().write(7);
                assertThatThrownBy(() -> newSeven.getInputStream().read())
                        .as("a new matching connection is held, unanswered")
                        .isInstanceOf(SocketTimeoutException.class);
                proxy.restore();
                newSeven.setSoTimeout(5_000);
                assertThat(newSeven.getInputStream().read())
                        .as("held connections are dropped at restore")
                        .isEqualTo(-1);
            }
            try (Socket again = connect(proxy)) {
                assertThat(roundTrip(again, (byte) 7)).isEqualTo(7);
            }
        }
    }

    @Test
    void forwardsBothWays() throws IOException {
        try (TcpProxy proxy = TcpProxy.start(echo.getLocalPort());
                Socket s = connect(proxy)) {
            assertThat(roundTrip(s, (byte) 42)).isEqualTo(42);
            assertThat(proxy.forwardedBytes()).isEqualTo(2);
        }
    }

    @Test
    void aCutDropsOpenConnectionsAndHoldsNewOnesUntilRestored() throws IOException {
        try (TcpProxy proxy = TcpProxy.start(echo.getLocalPort());
                Socket before = connect(proxy)) {
            assertThat(roundTrip(before, (byte) 1)).isEqualTo(1);

            proxy.cut();
            assertThat(before.getInputStream().read()).as("dropped").isEqualTo(-1);
            try (Socket during = connect(proxy)) {
                during.getOutputStream().write(2);
                assertThatThrownBy(() -> during.getInputStream().read())
                        .as("no answer while cut")
                        .isInstanceOf(SocketTimeoutException.class);
            }

            proxy.restore();
            try (Socket after = connect(proxy)) {
                assertThat(roundTrip(after, (byte) 3)).isEqualTo(3);
            }
        }
    }

    private static Socket connect(TcpProxy proxy) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
        s.setSoTimeout(1_000);
        return s;
    }

    private static int roundTrip(Socket s, byte b) throws IOException {
        s.getOutputStream().write(b);
        s.getOutputStream().flush();
        return s.getInputStream().read();
    }
}
