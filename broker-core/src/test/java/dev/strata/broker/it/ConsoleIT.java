package dev.strata.broker.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The web console as a person sees it: a broker tiering to a directory, with a topic whose sealed segments are in the
 * remote tier and a group that has committed an offset, and Debian's headless Chromium (driven by its chromedriver
 * through Selenium) loading the pages. The topics page shows the offsets Kafka's ListOffsets answers (local start,
 * tiered up to, end) and remote bytes beside the local ones; the groups page the group's lag. Skipped, never failed,
 * where Chromium or chromedriver is not installed ({@code .ci/run} installs them as root). With
 * {@code -Dstrata.console.screenshot=<absolute path of a .png>} it also saves a screenshot of the topics page.
 */
@EnabledIf("browserInstalled")
class ConsoleIT {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final Path REMOTE_DIR = Tiering.tempDir();
    private static final String TOPIC = "clicks";
    private static final String GROUP = "replay-readers";
    private static final TopicPartition TP = new TopicPartition(TOPIC, 0);
    private static final long COMMITTED = 400;

    @RegisterExtension
    static final TestBroker broker =
            TestBroker.withConfig(Tiering.tieringBroker(REMOTE_DIR, "console.listener", "127.0.0.1:0"));

    private static WebDriver browser;
    private static long localStart;
    private static long tieredUpTo;
    private static long end;

    static boolean browserInstalled() {
        return Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    }

    @BeforeAll
    static void tierATopicCommitAnOffsetAndOpenTheBrowser() throws Exception {
        broker.createTopic(TOPIC, 1, Tiering.tieredTopic(16_384));
        try (KafkaProducer<String, String> producer = broker.producer()) {
            Tiering.produce(producer, TOPIC, 0, 1_000, 100, System.currentTimeMillis());
        }
        try (Admin admin = broker.admin()) {
            Tiering.awaitTiered(admin, broker.logDir(), TP, TIMEOUT);
            localStart = Tiering.offset(admin, TP, OffsetSpec.earliestLocal());
            tieredUpTo = Tiering.offset(admin, TP, OffsetSpec.latestTiered());
            end = Tiering.offset(admin, TP, OffsetSpec.latest());
            admin.alterConsumerGroupOffsets(GROUP, Map.of(TP, new OffsetAndMetadata(COMMITTED)))
                    .all()
                    .get();
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments(
                "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1200,800");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        browser = new ChromeDriver(service, options);
        // the pages reload themselves every 5 s; the checks below want the page they loaded
        browser.get(url("/"));
        ((JavascriptExecutor) browser).executeScript("localStorage.setItem('strata.console.auto','off')");
    }

    @AfterAll
    static void closeTheBrowser() {
        if (browser != null) {
            browser.quit();
        }
        TestBroker.deleteRecursively(REMOTE_DIR);
    }

    @Test
    void theTopicsPageShowsTheTierOffsetsAndBothTiersBytes() throws IOException {
        browser.get(url("/topics"));
        WebElement row = browser.findElement(By.cssSelector("tr[data-partition='" + TOPIC + "-0']"));

        assertThat(localStart).isPositive();
        assertThat(cell(row, "log-start")).isEqualTo("0");
        assertThat(cell(row, "local-start")).isEqualTo(Long.toString(localStart));
        assertThat(cell(row, "tiered-up-to")).isEqualTo(Long.toString(tieredUpTo));
        assertThat(cell(row, "end")).isEqualTo(Long.toString(end));
        assertThat(cell(row, "remote-bytes")).matches("[0-9.]+ KiB \\([1-9][0-9]* seg\\)");
        assertThat(cell(row, "local-bytes")).endsWith("(1 seg)");
        assertThat(browser.findElement(By.cssSelector("h2[data-topic='" + TOPIC + "']"))
                        .getText())
                .isEqualTo(TOPIC + " tiered");
        String screenshot = System.getProperty("strata.console.screenshot");
        if (screenshot != null) {
            Files.write(Path.of(screenshot), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        }
    }

    @Test
    void theGroupsPageShowsTheLagOfACommittedOffset() {
        browser.get(url("/groups"));
        WebElement row = browser.findElement(By.cssSelector("tr[data-lag='" + TOPIC + "-0']"));

        assertThat(row.getText()).isEqualTo(TOPIC + " 0 " + COMMITTED + " " + end + " " + (end - COMMITTED));
        assertThat(browser.findElement(By.cssSelector("h2[data-group='" + GROUP + "'] .total-lag"))
                        .getText())
                .isEqualTo(Long.toString(end - COMMITTED));
    }

    @Test
    void theOverviewShowsTheBrokerAliveAndItsTiers() {
        browser.get(url("/"));

        assertThat(browser.findElement(By.cssSelector("tr[data-broker='1']")).getText())
                .endsWith("alive, controller");
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("remote bytes", "upload lag");
    }

    @Test
    void theJsonEndpointsAnswer() throws Exception {
        assertThat(get("/api/v1/tiers/" + TOPIC))
                .contains("\"highestRemoteOffset\":" + tieredUpTo, "\"logEndOffset\":" + end);
        assertThat(get("/api/v1/groups")).contains("\"group\":\"" + GROUP + "\"", "\"lag\":" + (end - COMMITTED));
        assertThat(get("/api/v1/cluster")).contains("\"fenced\":false");
        assertThat(get("/api/v1/topics")).contains("\"topic\":\"" + TOPIC + "\"");
        assertThat(get("/api/v1/history")).startsWith("{\"intervalMs\":5000,");
    }

    private static String cell(WebElement row, String column) {
        return row.findElement(By.className(column)).getText();
    }

    private static String url(String path) {
        return "http://127.0.0.1:" + broker.consolePort() + path;
    }

    private static String get(String path) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(HttpRequest.newBuilder(URI.create(url(path))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path).isEqualTo(200);
        return response.body();
    }
}
