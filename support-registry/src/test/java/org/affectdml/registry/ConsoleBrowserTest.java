package org.affectdml.registry;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.grpc.ManagedChannel;
import org.affectdml.inference.testing.TestImages;
import org.affectdml.proto.v1.ListSupportsRequest;
import org.affectdml.proto.v1.SupportSample;
import org.affectdml.proto.v1.TaxonomyAdminGrpc;
import org.affectdml.service.testing.GrpcTestChannels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.File;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.affectdml.registry.RegistryTestSupport.ADMIN_KEY;
import static org.affectdml.registry.RegistryTestSupport.withKey;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console in a real Chromium (Debian's chromium and chromedriver, installed by deploy/local/browser.sh) against the
 * real registry and embedding-service: sign in from the keyboard, create a taxonomy whose class name is markup (shown
 * as text), add supports by drawing boxes (an EXIF-rotated photo and one larger than the window), classify a photo and
 * read the answer on the page, run an evaluation, and check every page with axe-core. Screenshots of the main pages go
 * to target/console-screenshots.
 */
@QuarkusTest
@QuarkusTestResource(EmbeddingServiceProcess.class)
class ConsoleBrowserTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path AXE = Path.of("..", "var", "npm", "node_modules", "axe-core", "axe.min.js");
    private static final Path SHOTS = Path.of("target", "console-screenshots");
    private static final String MARKUP_CLASS = "<img src=x onerror=alert(1)>";

    @TestHTTPResource("/")
    URL url;

    private static ChromeDriver browser;
    private static WebDriverWait wait;

    /**
     * The browser, started by the first test that needs one; that test (only) is skipped, saying why, without Debian's
     * chromium, chromium-driver or axe-core (deploy/local/browser.sh installs them, and fails the suite's setup if it
     * cannot).
     */
    private static void startBrowser() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "no Debian chromium + chromium-driver here (deploy/local/browser.sh installs them); the console's browser test is skipped");
        Assumptions.assumeTrue(Files.isRegularFile(AXE),
                "axe-core is not installed under var/npm (deploy/local/browser.sh installs it); the console's browser test, which checks "
                        + "every page's accessibility with it, is skipped");
        if (browser != null) {
            return;
        }
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=en");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, Duration.ofSeconds(30));
        Files.createDirectories(SHOTS);
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    private static Path write(String name, byte[] bytes) throws Exception {
        Path dir = Path.of("target", "console-photos");
        Files.createDirectories(dir);
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return file.toAbsolutePath();
    }

    private static void shot(String name) throws Exception {
        Files.write(SHOTS.resolve(name + ".png"), browser.getScreenshotAs(OutputType.BYTES));
    }

    private static WebElement visible(By by) {
        return wait.until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    /** Drags on the canvas from (fx1, fy1) to (fx2, fy2), given as fractions of its displayed size. */
    private static void drag(WebElement canvas, double fx1, double fy1, double fx2, double fy2) {
        browser.executeScript("arguments[0].scrollIntoView({block: 'center'})", canvas);
        int w = canvas.getRect().getWidth();
        int hgt = canvas.getRect().getHeight();
        new Actions(browser).moveToElement(canvas, (int) (w * (fx1 - 0.5)), (int) (hgt * (fy1 - 0.5))).clickAndHold()
                .moveByOffset((int) (w * (fx2 - fx1)), (int) (hgt * (fy2 - fy1))).release().perform();
    }

    private static int[] boxInputs(WebElement scope) {
        List<WebElement> inputs = scope.findElements(By.cssSelector(".boxes input[type=number]"));
        return inputs.stream().mapToInt(i -> Integer.parseInt(i.getAttribute("value"))).toArray();
    }

    /** axe-core on the current page: no critical or serious violation. */
    private static void accessible(String page) throws Exception {
        JavascriptExecutor js = browser;
        js.executeScript(Files.readString(AXE));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> violations = (List<Map<String, Object>>) js.executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                        + "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.filter(v => v.impact === 'critical' || v.impact === 'serious')"
                        + ".map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.html).slice(0, 3)}))));");
        assertEquals(List.of(), violations, page + ": accessibility violations");
    }

    @Test
    void anAdminBuildsATaxonomyFromPhotosTriesItAndSeesWhy() throws Exception {
        startBrowser();
        String name = "console-" + Long.toHexString(System.nanoTime());
        BufferedImage joyScene = TestImages.scene(320, 240, new Color(40, 170, 60), new Color(230, 60, 50), 100, 40, 220, 220);
        BufferedImage angerScene = TestImages.scene(320, 240, new Color(30, 60, 200), new Color(240, 230, 40), 100, 40, 220, 220);
        // stored upright-on-its-side: 240x320 pixels, EXIF orientation 6 says "rotate 90° clockwise to display" (320x240 shown)
        BufferedImage sideways = new BufferedImage(240, 320, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 320; y++) {
            for (int x = 0; x < 240; x++) {
                sideways.setRGB(x, y, angerScene.getRGB(y, 239 - x));
            }
        }
        Path joy = write("joy.png", TestImages.png(joyScene));
        Path angerRotated = write("anger-rotated.jpg", TestImages.withExifOrientation(TestImages.jpeg(sideways), 6));
        BufferedImage big = TestImages.scene(2600, 1900, new Color(40, 170, 60), new Color(230, 60, 50), 800, 300, 1700, 1700);
        Path joyLarge = write("joy-large.jpg", TestImages.jpeg(big));
        // a third photo of joy: with three, a temperature fitted without one photo's support can be checked on it
        Path joyAgain = write("joy-again.png", TestImages.png(TestImages.scene(320, 240, new Color(50, 160, 70), new Color(220, 70, 50),
                90, 50, 210, 230)));
        Path query = write("query.jpg", TestImages.jpeg(joyScene));

        // Sign in from the keyboard alone.
        browser.get(url + "console");
        WebElement key = visible(By.id("key"));
        assertEquals(key, browser.switchTo().activeElement(), "the key field has the focus");
        key.sendKeys(ADMIN_KEY, Keys.ENTER);
        visible(By.id("new-name"));
        assertTrue(browser.findElement(By.id("who")).getText().contains("admin"));
        assertFalse(String.valueOf(browser.getCurrentUrl()).contains(ADMIN_KEY), "the key is never in a URL");
        accessible("taxonomies");
        shot("1-taxonomies");

        // Create a taxonomy; one class name is markup.
        browser.findElement(By.id("new-name")).sendKeys(name);
        browser.findElement(By.id("new-description")).sendKeys("made in the browser test");
        browser.findElement(By.id("new-classes")).sendKeys("joy\nanger\n" + MARKUP_CLASS);
        browser.findElement(By.cssSelector("form button[type=submit]")).click();
        visible(By.xpath("//h2[text()='Taxonomy " + name + "']"));
        WebElement markup = visible(By.cssSelector("[data-class='" + MARKUP_CLASS.replace("'", "\\'") + "'] h4"));
        assertEquals(MARKUP_CLASS + " (0)", markup.getText(), "markup from the server shows as text");
        assertTrue(browser.findElements(By.cssSelector("img[src=x]")).isEmpty(), "and never becomes an element");

        // joy: a support drawn on a small photo, and one on a photo larger than the window
        addSupport("joy", joy, 0.3, 0.15, 0.7, 0.95, null);
        int[] large = addSupport("joy", joyLarge, 0.3, 0.15, 0.7, 0.9, null);
        addSupport("joy", joyAgain, 0.3, 0.15, 0.7, 0.95, null);
        assertTrue(large[2] > 1280, "box corners are in the image's pixels, not the scaled display's: " + java.util.Arrays.toString(large));
        // anger: the EXIF-rotated photo; the editor works in the displayed 320x240 frame
        int[] rotated = addSupport("anger", angerRotated, 0.3, 0.15, 0.7, 0.95, "Image 320 × 240 pixels");
        assertTrue(rotated[2] <= 320 && rotated[3] <= 240, java.util.Arrays.toString(rotated));
        // the markup class needs a support too before Classify answers
        addSupport(MARKUP_CLASS, joy, 0.05, 0.05, 0.3, 0.3, null);

        ManagedChannel channel = GrpcTestChannels.to(url);
        try {
            var admin = withKey(TaxonomyAdminGrpc.newBlockingStub(channel), ADMIN_KEY);
            SupportSample stored = admin.listSupports(ListSupportsRequest.newBuilder().setTaxonomy(name).setClassName("anger").build()).getSamples(0);
            assertEquals(rotated[0], stored.getBox().getX1(), 0.5);
            assertEquals(rotated[3], stored.getBox().getY2(), 0.5, "the box the page showed is the one stored");
        } finally {
            channel.shutdownNow();
        }
        visible(By.cssSelector("[data-class='joy'] .card canvas"));
        assertEquals("joy (3)", browser.findElement(By.cssSelector("[data-class='joy'] h4")).getText(), "the count follows the additions");
        accessible("taxonomy");
        shot("2-taxonomy");

        // Evaluation: joy has three supports, so leave-one-out has queries.
        WebElement evaluate = browser.findElement(By.xpath("//button[text()='Evaluate']"));
        new Actions(browser).scrollToElement(evaluate).perform();
        evaluate.click();
        WebElement matrix = visible(By.cssSelector("#evaluation table.confusion"));
        assertTrue(matrix.getText().contains(MARKUP_CLASS), matrix.getText());
        shot("3-evaluation");
        // joy's three supports are of three photos: a temperature fitted on two is checked on the third
        assertTrue(browser.findElement(By.cssSelector("#evaluation [data-figure=calibration]")).getText().contains("Fitted temperature"),
                browser.findElement(By.id("evaluation")).getText());
        browser.findElement(By.xpath("//button[text()='Apply the best-F1 threshold']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("main"), "Rejection rule: max distance"));
        new Actions(browser).scrollToElement(browser.findElement(By.xpath("//button[text()='Evaluate']"))).perform();
        browser.findElement(By.xpath("//button[text()='Evaluate']")).click();
        visible(By.xpath("//button[text()='Apply the fitted temperature']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("main"), "fitted on this taxonomy's held-out answers"));

        // Edit the description (the page sends the revision it showed).
        browser.findElement(By.xpath("//summary[text()='Edit description and classes']")).click();
        WebElement description = visible(By.xpath("//label[text()='Description']/textarea"));
        description.clear();
        description.sendKeys("edited in the browser");
        browser.findElement(By.xpath("//button[text()='Save changes']")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("main"), "edited in the browser"));

        // Try it: the joy scene's person, classified on the page.
        browser.get(url + "console/#/try/" + name);
        visible(By.id("try-taxonomy"));
        browser.findElement(By.cssSelector("input[type=file]")).sendKeys(query.toString());
        WebElement canvas = visible(By.cssSelector(".editor canvas"));
        drag(canvas, 0.3, 0.15, 0.7, 0.95);
        browser.findElement(By.xpath("//button[text()='Classify']")).click();
        WebElement best = visible(By.cssSelector("#results [data-person='0'] .best"));
        assertEquals("joy", best.getText());
        WebElement answer = browser.findElement(By.cssSelector("#results [data-person='0']"));
        assertTrue(answer.getText().contains("alike in"), "per-stream similarity of the nearest supports: " + answer.getText());
        assertTrue(answer.findElements(By.cssSelector(".card canvas")).size() >= 1, "nearest-support thumbnails");
        accessible("try it");
        shot("4-try-it");

        // A client key is offered only what it may do: Try it, no taxonomy management.
        browser.findElement(By.xpath("//button[text()='Sign out']")).click();
        visible(By.id("key")).sendKeys(RegistryTestSupport.CLIENT_KEY, Keys.ENTER);
        visible(By.id("try-taxonomy"));
        assertTrue(browser.findElement(By.id("who")).getText().contains("client"));
        assertTrue(browser.findElements(By.linkText("Taxonomies")).isEmpty(), "no admin navigation for a client key");
        browser.findElement(By.xpath("//button[text()='Sign out']")).click();

        // Deleting asks first; dismissing keeps the taxonomy, accepting deletes it.
        visible(By.id("key")).sendKeys(ADMIN_KEY, Keys.ENTER);
        visible(By.id("new-name"));
        browser.get(url + "console/#/t/" + name);
        WebElement delete = visible(By.xpath("//button[text()='Delete taxonomy']"));
        browser.executeScript("arguments[0].scrollIntoView({block: 'center'})", delete);
        delete.click();
        wait.until(ExpectedConditions.alertIsPresent()).dismiss();
        delete.click();
        wait.until(ExpectedConditions.alertIsPresent()).accept();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "Deleted " + name));
    }

    @Test
    void theConsoleIsServedWithAPolicyThatAllowsNoInlineScript() throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        var page = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "console/")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode());
        String csp = page.headers().firstValue("Content-Security-Policy").orElse("");
        assertTrue(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("img-src 'self' blob:"), csp);
        assertFalse(page.body().contains("<script>"), "no inline script in the page");
        var bare = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "console")).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
        assertEquals(302, bare.statusCode());
        assertEquals("/console/", bare.headers().firstValue("location").orElse(""));
    }

    /** Adds a support to a class by choosing the photo and dragging a box on it; returns the box the page shows. */
    private static int[] addSupport(String className, Path photo, double x1, double y1, double x2, double y2, String sizeText) {
        String block = "[data-class='" + className.replace("'", "\\'") + "']";
        WebElement input = visible(By.cssSelector(block + " input[type=file]"));
        input.sendKeys(photo.toString());
        WebElement canvas = visible(By.cssSelector(block + " .editor canvas"));
        if (sizeText != null) {
            assertTrue(browser.findElement(By.cssSelector(block + " .editor")).getText().contains(sizeText),
                    browser.findElement(By.cssSelector(block + " .editor")).getText());
        }
        drag(canvas, x1, y1, x2, y2);
        int[] box = boxInputs(browser.findElement(By.cssSelector(block)));
        assertEquals(4, box.length, "one box drawn");
        assertTrue(box[2] > box[0] && box[3] > box[1], java.util.Arrays.toString(box));
        browser.findElement(By.cssSelector(block + " .row button:not(.secondary)")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "Support added to " + className));
        return box;
    }
}
