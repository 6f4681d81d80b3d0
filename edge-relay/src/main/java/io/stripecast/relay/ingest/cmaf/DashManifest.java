package io.stripecast.relay.ingest.cmaf;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What the ingest takes from an uploaded DASH manifest (ffmpeg's {@code manifest.mpd}): whether it is the final one
 * ({@code type="static"}, which ffmpeg writes when it stops) and each Representation of the last Period with what a
 * master playlist needs. Nothing else in it is trusted or used: segment names and timing come from the uploads.
 */
public record DashManifest(boolean ended, List<Representation> representations) {

    /**
     * One Representation. {@code id} is the DASH stream index that names its uploads ({@code init-stream<id>.m4s},
     * {@code chunk-stream<id>-<n>.m4s}, ffmpeg's default templates); {@code kind} is {@code video}, {@code audio} or
     * {@code other}; width, height and frame rate are 0 / null when absent.
     */
    public record Representation(int id, String kind, long bandwidth, int width, int height, String codecs, String frameRate) {
    }

    /** Representations the parser reads at most (ffmpeg writes one per mapped stream; the ladder keeps 8). */
    static final int MAX_REPRESENTATIONS = 64;
    private static final Pattern ID = Pattern.compile("[0-9]{1,3}");
    /** RFC 6381 codec strings: these characters only, so nothing can break out of the master's quoted attribute. */
    private static final Pattern CODECS = Pattern.compile("[A-Za-z0-9.,+_-]{1,128}");
    private static final Pattern FRAME_RATE = Pattern.compile("([0-9]{1,6})(?:/([0-9]{1,6}))?");

    /**
     * Parses a manifest with a parser that reads no DTD and resolves no entity, external or internal: an MPD has no
     * use for either, and refusing them closes XXE and entity expansion (billion laughs) outright.
     */
    public static DashManifest parse(byte[] xml) throws CmafException {
        Document doc;
        try {
            DocumentBuilder builder = hardenedFactory().newDocumentBuilder();
            builder.setEntityResolver((publicId, systemId) -> new InputSource(new StringReader("")));
            builder.setErrorHandler(new org.xml.sax.ErrorHandler() {
                // Errors are thrown, not printed to stderr (the JDK's default handler prints them).
                @Override
                public void warning(org.xml.sax.SAXParseException e) {
                }

                @Override
                public void error(org.xml.sax.SAXParseException e) throws SAXException {
                    throw e;
                }

                @Override
                public void fatalError(org.xml.sax.SAXParseException e) throws SAXException {
                    throw e;
                }
            });
            doc = builder.parse(new ByteArrayInputStream(xml));
        } catch (SAXException | IOException e) {
            throw new CmafException("bad_manifest", "not a well-formed manifest without DTD: " + oneLine(e.getMessage()));
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML parser refused a hardening feature", e);
        }
        Element mpd = doc.getDocumentElement();
        if (!"MPD".equals(local(mpd))) {
            throw new CmafException("bad_manifest", "the root element is not MPD");
        }
        boolean ended = "static".equals(mpd.getAttribute("type"));
        Element period = null;
        for (Element p : children(mpd, "Period")) {
            period = p;
        }
        List<Representation> reps = new ArrayList<>();
        if (period != null) {
            for (Element set : children(period, "AdaptationSet")) {
                for (Element rep : children(set, "Representation")) {
                    if (reps.size() == MAX_REPRESENTATIONS) {
                        throw new CmafException("bad_manifest", "more than " + MAX_REPRESENTATIONS + " representations");
                    }
                    reps.add(representation(set, rep));
                }
            }
        }
        return new DashManifest(ended, List.copyOf(reps));
    }

    private static Representation representation(Element set, Element rep) throws CmafException {
        String id = rep.getAttribute("id");
        if (!ID.matcher(id).matches()) {
            throw new CmafException("bad_manifest", "a Representation id that is not a stream index (ffmpeg's DASH muxer numbers them)");
        }
        String mime = inherited(set, rep, "mimeType");
        String contentType = set.getAttribute("contentType");
        String kind = contentType.equals("video") || mime.startsWith("video/") ? "video"
                : contentType.equals("audio") || mime.startsWith("audio/") ? "audio" : "other";
        long bandwidth = number(rep.getAttribute("bandwidth"), "bandwidth", 1, 10_000_000_000L);
        int width = (int) number(inherited(set, rep, "width"), "width", 0, 65_535);
        int height = (int) number(inherited(set, rep, "height"), "height", 0, 65_535);
        String codecs = inherited(set, rep, "codecs");
        if (!codecs.isEmpty() && !CODECS.matcher(codecs).matches()) {
            throw new CmafException("bad_manifest", "a codecs attribute with characters an RFC 6381 codec string has not");
        }
        String rate = inherited(set, rep, "frameRate");
        String frameRate = null;
        if (!rate.isEmpty()) {
            var m = FRAME_RATE.matcher(rate);
            if (!m.matches() || m.group(2) != null && Long.parseLong(m.group(2)) == 0) {
                throw new CmafException("bad_manifest", "a frameRate that is not N or N/D");
            }
            double fps = Long.parseLong(m.group(1)) / (m.group(2) == null ? 1.0 : Long.parseLong(m.group(2)));
            frameRate = String.format(java.util.Locale.ROOT, "%.3f", fps);
        }
        return new Representation(Integer.parseInt(id), kind, bandwidth, width, height, codecs.isEmpty() ? null : codecs, frameRate);
    }

    private static long number(String s, String what, long min, long max) throws CmafException {
        if (s.isEmpty()) {
            if (min > 0) {
                throw new CmafException("bad_manifest", "a Representation without " + what);
            }
            return 0;
        }
        if (s.length() > 11 || !s.chars().allMatch(Character::isDigit)) {
            throw new CmafException("bad_manifest", "a " + what + " that is not a small whole number");
        }
        long v = Long.parseLong(s);
        if (v < min || v > max) {
            throw new CmafException("bad_manifest", "a " + what + " out of bounds");
        }
        return v;
    }

    /** An attribute of the Representation, else of its AdaptationSet (DASH's inheritance), else "". */
    private static String inherited(Element set, Element rep, String name) {
        String v = rep.getAttribute(name);
        return v.isEmpty() ? set.getAttribute(name) : v;
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && name.equals(local(e))) {
                out.add(e);
            }
        }
        return out;
    }

    private static String local(Element e) {
        return e.getLocalName() != null ? e.getLocalName() : e.getTagName();
    }

    private static DocumentBuilderFactory hardenedFactory() throws ParserConfigurationException {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setFeature("http://xml.org/sax/features/external-general-entities", false);
        f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        f.setXIncludeAware(false);
        f.setExpandEntityReferences(false);
        return f;
    }

    private static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        String t = s.replaceAll("[\\r\\n\\t]+", " ");
        return t.length() > 200 ? t.substring(0, 200) : t;
    }
}
