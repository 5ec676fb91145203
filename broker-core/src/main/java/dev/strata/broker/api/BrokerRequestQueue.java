package dev.strata.broker.api;

import dev.strata.broker.cluster.ClusterBroker;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * What one broker sends another, one request at a time (transaction markers, transaction verifications), as Kafka's
 * inter-broker send threads do: items queue up, and a thread of the queue's own takes everything queued, hands it to a
 * {@link Sender} that sends what fits in one request over a {@link BrokerChannel}, and queues what did not fit first
 * for the next request. No Netty event loop or request thread ever waits on the other broker. Once stopped, the items
 * still queued are given to {@code abandon}.
 *
 * @param <T> one item to send, which carries its own result
 */
final class BrokerRequestQueue<T> implements Runnable {

    /** Sends one request with what fits of {@code items}; returns the items left for the next request. */
    interface Sender<T> {
        List<T> sendSome(BrokerChannel channel, List<T> items);
    }

    private final BlockingDeque<T> pending = new LinkedBlockingDeque<>();
    private final BrokerChannel channel;
    private final Sender<T> sender;
    private final Consumer<T> abandon;
    private final Thread thread;
    private volatile boolean stopped;

    /**
     * Starts the queue's thread, named {@code threadName}.
     *
     * @param brokers the registered brokers by node id, where the channel looks the broker's address up
     * @param abandon completes an item that will not be sent (the queue stopped)
     */
    BrokerRequestQueue(
            String threadName,
            int brokerId,
            String clientId,
            IntFunction<Optional<ClusterBroker>> brokers,
            BrokerConnector connector,
            Sender<T> sender,
            Consumer<T> abandon) {
        this.channel = new BrokerChannel(brokerId, clientId, brokers, connector);
        this.sender = sender;
        this.abandon = abandon;
        this.thread = new Thread(this, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    void add(T item) {
        pending.add(item);
        if (stopped) {
            abandonPending();
        }
    }

    /** Stops the thread once its request in flight ends; what is still queued is abandoned. */
    void stop() {
        stopped = true;
        thread.interrupt();
    }

    @Override
    public void run() {
        try {
            while (!stopped) {
                List<T> items = new ArrayList<>();
                items.add(pending.take());
                pending.drainTo(items);
                List<T> later = sender.sendSome(channel, items);
                for (int i = later.size() - 1; i >= 0; i--) {
                    pending.addFirst(later.get(i));
                }
            }
        } catch (InterruptedException e) {
            // stopping
        } finally {
            channel.close();
            abandonPending();
        }
    }

    private void abandonPending() {
        List<T> left = new ArrayList<>();
        pending.drainTo(left);
        left.forEach(abandon);
    }
}
