package org.affectdml.deploy;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** What a module's pom.xml declares, read as XML (not as text). */
final class Poms {

    private final Element project;

    private Poms(Element project) {
        this.project = project;
    }

    static Poms of(Path pom) {
        try {
            Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
            return new Poms(doc.getDocumentElement());
        } catch (Exception e) {
            throw new IllegalStateException("cannot read " + pom, e);
        }
    }

    /** artifactIds of the module's own dependencies (not dependencyManagement, not profiles), test-scoped ones too or not. */
    List<String> dependencies(boolean withTestScope) {
        List<String> out = new ArrayList<>();
        Element deps = child(project, "dependencies");
        if (deps != null) {
            for (Element d : children(deps, "dependency")) {
                if (withTestScope || !"test".equals(text(d, "scope"))) {
                    out.add(text(d, "artifactId"));
                }
            }
        }
        return out;
    }

    /** A property a profile sets, e.g. the gpu profile's onnxruntime.artifact. */
    Optional<String> profileProperty(String profileId, String property) {
        Element profiles = child(project, "profiles");
        if (profiles == null) {
            return Optional.empty();
        }
        for (Element p : children(profiles, "profile")) {
            if (profileId.equals(text(p, "id"))) {
                Element props = child(p, "properties");
                return props == null ? Optional.empty() : Optional.ofNullable(text(props, property));
            }
        }
        return Optional.empty();
    }

    private static Element child(Element parent, String name) {
        List<Element> c = children(parent, name);
        return c.isEmpty() ? null : c.get(0);
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i).getNodeType() == Node.ELEMENT_NODE && name.equals(nodes.item(i).getNodeName())) {
                out.add((Element) nodes.item(i));
            }
        }
        return out;
    }

    private static String text(Element parent, String name) {
        Element c = child(parent, name);
        return c == null ? null : c.getTextContent().trim();
    }
}
