package org.affectdml.registry.service;

import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.affectdml.proto.v1.AddSupportRequest;
import org.affectdml.proto.v1.AddSupportResponse;
import org.affectdml.proto.v1.RemoveSupportRequest;
import org.affectdml.proto.v1.RemoveSupportResponse;
import org.affectdml.proto.v1.Image;
import org.affectdml.proto.v1.ListSupportsResponse;
import org.affectdml.proto.v1.PersonBox;
import org.affectdml.proto.v1.SupportSample;
import org.affectdml.registry.RegistryConfig;
import org.affectdml.registry.client.EmbeddingClient;
import org.affectdml.registry.model.EmotionClassEntity;
import org.affectdml.registry.model.SupportSampleEntity;
import org.affectdml.registry.model.TaxonomyEntity;
import org.affectdml.registry.repository.SupportEmbeddingRepository;
import org.affectdml.registry.repository.SupportRepository;
import org.affectdml.service.errors.Errors;
import org.affectdml.service.errors.Inputs;
import org.apache.commons.codec.digest.DigestUtils;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.UUID;

/**
 * Support samples of a taxonomy. AddSupport embeds before it opens its transaction, with every version the
 * taxonomy is served with, so an unreachable embedding-service leaves nothing half-written and the taxonomy stays
 * complete in its serving version. AddSupport is idempotent on (image, box) within a taxonomy.
 */
@ApplicationScoped
public class SupportService {

    static final int MAX_METADATA_ENTRIES = 32;
    static final int MAX_METADATA_KEY = 64;
    static final int MAX_METADATA_VALUE = 1024;


    @Inject
    TaxonomyService taxonomies;
    @Inject
    SupportRepository supports;
    @Inject
    SupportEmbeddingRepository embeddingsStored;
    @Inject
    EmbeddingClient embeddings;
    @Inject
    SupportNeighbours neighbours;
    @Inject
    ServingVersions versions;
    @Inject
    RegistryConfig config;
    @Inject
    WriteRequests writeRequests;

    /** Adds the support of an AddSupportRequest (the taxonomy named in it); see registry.proto for the contract. */
    public AddSupportResponse add(AddSupportRequest request) {
        PersonBox box = request.hasBox() ? request.getBox() : null;
        String taxonomy = request.getTaxonomy();
        String className = request.getClassName();
        Image image = request.getImage();
        Map<String, String> metadata = requireMetadata(request.getMetadataMap());
        if (box == null) {
            throw Errors.invalidArgument("request has no person box (x1, y1, x2, y2 in pixels)");
        }
        UploadedImage upload = UploadedImage.accept(image, "support image", config.maxImageBytes());
        byte[] bytes = upload.bytes();
        String mediaType = upload.mediaType();
        String sha = DigestUtils.sha256Hex(bytes);
        SupportRepository.Box at = new SupportRepository.Box(box.getX1(), box.getY1(), box.getX2(), box.getY2());

        WriteRequests.Key key = writeRequests.key(request.getRequestId(), "AddSupport", request.toBuilder().clearRequestId().build());

        // Validate names and find a repeat before paying for an embedding.
        Optional<AddSupportResponse> earlier = QuarkusTransaction.requiringNew().call(() -> writeRequests.replay(key, AddSupportResponse.parser()));
        if (earlier.isPresent()) {
            return earlier.get();
        }
        boolean stored = QuarkusTransaction.requiringNew().call(() -> {
            TaxonomyEntity t = taxonomies.require(taxonomy);
            TaxonomyService.requireClass(t, className);
            return supports.findByImageAndBox(t.id, sha, at) != null;
        });
        if (stored) {
            return existing(key, taxonomy, className, sha, at);
        }

        EmbeddingClient.Item item = new EmbeddingClient.Item(bytes, mediaType, at.x1(), at.y1(), at.x2(), at.y2());
        List<EmbeddingClient.Embedded> vectors = new ArrayList<>();
        EmbeddingClient.Embedded active = embeddings.embed(item, "", EmbeddingClient.Extras.STORED);
        vectors.add(active);
        String serving = versions.servingVersion(taxonomy).orElse(active.modelVersion());
        if (!serving.equals(active.modelVersion())) {
            vectors.add(embeddings.embed(item, serving, EmbeddingClient.Extras.STORED));
        }

        UUID id = UUID.randomUUID();
        // Stored and answered in one transaction: an acknowledgement is built from what commits with it.
        AddSupportResponse added = QuarkusTransaction.requiringNew().call(() -> {
            Optional<AddSupportResponse> first = writeRequests.replay(key, AddSupportResponse.parser());  // a concurrent retry won
            if (first.isPresent()) {
                return first.get();
            }
            TaxonomyEntity t = taxonomies.requireForWrite(taxonomy);
            EmotionClassEntity c = TaxonomyService.requireClass(t, className);
            if (!supports.insertIfAbsent(new SupportRepository.NewSample(id, t.id, c.id, bytes, mediaType, sha, at, metadata))) {
                return null;  // a concurrent identical AddSupport won
            }
            for (EmbeddingClient.Embedded v : vectors) {
                embeddingsStored.insertIfAbsent(id, v.modelVersion(), t.id, c.id, v.values(), v.streams());
            }
            t.touch();
            supports.flush();
            SupportSampleEntity sample = supports.findById(id);
            AddSupportResponse answer = AddSupportResponse.newBuilder()
                    .setSample(ProtoMapping.sample(sample, taxonomy, embeddingsStored.versionsOf(id))).setCreated(true)
                    .addAllWarnings(neighbours.warnings(t, sample.emotionClass, id, active.values(), active.modelVersion())).build();
            writeRequests.record(key, answer);
            return answer;
        });
        return added != null ? added : existing(key, taxonomy, className, sha, at);
    }

    /** The version the taxonomy is served with, for the listing's distances; none when embedding-service cannot say. */
    private Optional<String> servedVersionIfReachable(String taxonomy) {
        try {
            return versions.servingVersion(taxonomy);
        } catch (io.grpc.StatusRuntimeException embeddingServiceDown) {
            return Optional.empty();  // the listing itself does not need it
        }
    }

    /** The stored twin of a repeated AddSupport; ALREADY_EXISTS when it is a support of another class. */
    private AddSupportResponse existing(WriteRequests.Key key, String taxonomy, String className, String sha, SupportRepository.Box box) {
        return QuarkusTransaction.requiringNew().call(() -> writeRequests.once(key, AddSupportResponse.parser(), () -> {
            TaxonomyEntity t = taxonomies.require(taxonomy);
            SupportSampleEntity s = supports.findByImageAndBox(t.id, sha, box);
            if (s == null) {
                throw Errors.notFound("support sample vanished while it was being added; retry");
            }
            if (!s.emotionClass.name.equals(className)) {
                throw Errors.alreadyExists("this image and box are already a support of class '" + s.emotionClass.name
                        + "' in taxonomy '" + taxonomy + "' (sample " + s.id + "); remove it first to move it to " + Inputs.quoted(className));
            }
            return AddSupportResponse.newBuilder().setSample(ProtoMapping.sample(s, taxonomy, embeddingsStored.versionsOf(s.id)))
                    .setCreated(false).build();
        }));
    }

    public RemoveSupportResponse remove(String taxonomy, String supportId, String requestId) {
        UUID id = parseId(supportId);
        WriteRequests.Key key = writeRequests.key(requestId, "RemoveSupport",
                RemoveSupportRequest.newBuilder().setTaxonomy(taxonomy).setSupportId(supportId).build());
        return QuarkusTransaction.requiringNew().call(() -> writeRequests.once(key, RemoveSupportResponse.parser(), () -> {
            TaxonomyEntity t = taxonomies.requireForWrite(taxonomy);
            SupportSampleEntity s = requireSample(t, id);
            embeddingsStored.deleteOfSample(id);
            supports.delete(s);
            t.touch();
            return RemoveSupportResponse.getDefaultInstance();
        }));
    }

    /** One support, as ListSupports gives it (with its distances in the version served now, when reachable). */
    public SupportSample get(String taxonomy, String supportId) {
        UUID id = parseId(supportId);
        Optional<String> served = servedVersionIfReachable(taxonomy);
        return QuarkusTransaction.requiringNew().call(() -> {
            TaxonomyEntity t = taxonomies.require(taxonomy);
            SupportSampleEntity s = requireSample(t, id);
            SupportSample sample = ProtoMapping.sample(s, taxonomy, embeddingsStored.versionsOf(s.id));
            return served.map(v -> neighbours.withDistances(sample, t, s.emotionClass.id, v)).orElse(sample);
        });
    }

    /** A support's original image as it was uploaded. */
    public record OriginalImage(byte[] bytes, String mediaType) {
    }

    public OriginalImage image(String taxonomy, String supportId) {
        UUID id = parseId(supportId);
        return QuarkusTransaction.requiringNew().call(() -> {
            SupportSampleEntity s = requireSample(taxonomies.require(taxonomy), id);
            return new OriginalImage(s.image, s.mediaType);
        });
    }

    /** The sample if it is one of the taxonomy's; NOT_FOUND otherwise. Within the caller's transaction. */
    private SupportSampleEntity requireSample(TaxonomyEntity t, UUID id) {
        SupportSampleEntity s = supports.findById(id);
        if (s == null || !s.taxonomyId.equals(t.id)) {
            throw Errors.notFound("taxonomy '" + t.name + "' has no support sample " + id);
        }
        return s;
    }

    /**
     * A page of the taxonomy's supports (or of one class), oldest first; the token holds the (created, id) of the
     * previous page's last sample, so supports added or removed meanwhile never shift the pages.
     */
    public ListSupportsResponse list(String taxonomy, String className, int pageSize, String pageToken) {
        int size = Paging.pageSize(pageSize);
        String classFilter = className == null ? "" : className;
        String scope = taxonomy + "/" + classFilter;
        List<String> after = PageTokens.read(pageToken, "supports", scope, 2);
        Optional<String> served = servedVersionIfReachable(taxonomy);
        return QuarkusTransaction.requiringNew().call(() -> {
            TaxonomyEntity t = taxonomies.require(taxonomy);
            Long classId = classFilter.isEmpty() ? null : TaxonomyService.requireClass(t, classFilter).id;
            SupportRepository.Cursor cursor = after.isEmpty() ? null : cursor(after);
            // One more than the page: whether it exists says if there is a next page.
            List<SupportSampleEntity> rows = supports.pageAfter(t.id, classId, cursor, size + 1);
            ListSupportsResponse.Builder r = ListSupportsResponse.newBuilder();
            for (SupportSampleEntity s : rows.subList(0, Math.min(size, rows.size()))) {
                SupportSample sample = ProtoMapping.sample(s, taxonomy, embeddingsStored.versionsOf(s.id));
                r.addSamples(served.map(v -> neighbours.withDistances(sample, t, s.emotionClass.id, v)).orElse(sample));
            }
            if (rows.size() > size) {
                SupportSampleEntity last = rows.get(size - 1);
                r.setNextPageToken(PageTokens.issue("supports", scope, Long.toString(SupportRepository.Cursor.micros(last.created)),
                        last.id.toString()));
            }
            return r.build();
        });
    }

    /**
     * Free-form metadata of a support: bounded in entries and lengths, keys are names (NFC, visible; two spellings of
     * one key are one key), values printable text. Returns it with the keys as stored.
     */
    static Map<String, String> requireMetadata(Map<String, String> metadata) {
        if (metadata.size() > MAX_METADATA_ENTRIES) {
            throw Errors.invalidArgument("metadata has " + metadata.size() + " entries, above the limit of " + MAX_METADATA_ENTRIES);
        }
        Map<String, String> stored = new java.util.TreeMap<>();
        metadata.forEach((key, value) -> {
            String name = Inputs.requireName("metadata key", key, MAX_METADATA_KEY);
            Inputs.requireText("metadata value of " + Inputs.quoted(key), value, MAX_METADATA_VALUE, true);
            if (stored.put(name, value) != null) {
                throw Errors.invalidArgument("metadata key " + Inputs.quoted(key) + " is given twice (in two spellings)");
            }
        });
        return stored;
    }

    private static UUID parseId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw Errors.invalidArgument("support id " + Inputs.quoted(id) + " is not a UUID");
        }
    }

    private static SupportRepository.Cursor cursor(List<String> key) {
        try {
            return new SupportRepository.Cursor(Long.parseLong(key.get(0)), UUID.fromString(key.get(1)));
        } catch (IllegalArgumentException e) {
            throw Errors.invalidArgument("page_token was not issued by this service (tokens are opaque: pass next_page_token back unchanged)");
        }
    }
}
