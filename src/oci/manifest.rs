//! The manifests a tag may name, by media type, and the platforms an index
//! lists.

use serde::Deserialize;

/// An OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// A Docker manifest list.
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// An OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// A Docker v2 (schema 2) image manifest.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// The `Accept` header of a manifest request: the four types berth reads.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/// What a manifest's media type is to berth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One image, one platform.
    Image,
    /// An index or manifest list: one image per platform.
    Index,
}

/// The kind of a media type (parameters after `;` ignored), if berth reads it.
pub fn kind(media_type: &str) -> Option<Kind> {
    let media_type = media_type.split(';').next().unwrap_or_default().trim();
    match media_type {
        OCI_INDEX | DOCKER_LIST => Some(Kind::Index),
        OCI_MANIFEST | DOCKER_MANIFEST => Some(Kind::Image),
        _ => None,
    }
}

/// A tag resolved: the digest it names and, for an index, each platform's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The manifest's (for a multi-arch tag, the index's) digest.
    pub digest: String,
    /// Each platform's image, for an index.
    pub platforms: Vec<Platform>,
}

/// One platform's image in an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// `linux`.
    pub os: String,
    /// `amd64`, `arm64`.
    pub architecture: String,
    /// `v7`, `v8`.
    pub variant: Option<String>,
    /// The platform image's manifest digest.
    pub digest: String,
}

/// A manifest body, as far as berth reads it.
#[derive(Debug, Deserialize)]
struct Body {
    #[serde(default, rename = "mediaType")]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
}

#[derive(Debug, Deserialize)]
struct Descriptor {
    digest: String,
    #[serde(default)]
    platform: Option<DescriptorPlatform>,
}

#[derive(Debug, Deserialize)]
struct DescriptorPlatform {
    os: String,
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

/// The media type a body declares, if it declares one.
pub fn declared_type(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<Body>(body).ok()?.media_type
}

/// The platforms of an index's body: each manifest with a platform, other than
/// `unknown/unknown` (build attestations, which are no image); an error says why
/// the body does not read.
pub fn platforms(body: &[u8]) -> Result<Vec<Platform>, String> {
    let body: Body = serde_json::from_slice(body).map_err(|error| error.to_string())?;
    let manifests = body
        .manifests
        .ok_or_else(|| "an index without `manifests`".to_owned())?;
    Ok(manifests
        .into_iter()
        .filter_map(|descriptor| {
            let platform = descriptor.platform?;
            (platform.os != "unknown" && platform.architecture != "unknown").then_some(Platform {
                os: platform.os,
                architecture: platform.architecture,
                variant: platform.variant.filter(|v| !v.is_empty()),
                digest: descriptor.digest,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_read_as_kinds() {
        assert_eq!(kind(OCI_INDEX), Some(Kind::Index));
        assert_eq!(
            kind("application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8"),
            Some(Kind::Index)
        );
        assert_eq!(kind(DOCKER_MANIFEST), Some(Kind::Image));
        assert_eq!(kind(OCI_MANIFEST), Some(Kind::Image));
        assert_eq!(
            kind("application/vnd.docker.distribution.manifest.v1+prettyjws"),
            None
        );
    }

    #[test]
    fn an_index_lists_its_platforms_but_attestations() {
        let body = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
            {"digest":"sha256:a","platform":{"os":"linux","architecture":"amd64"}},
            {"digest":"sha256:b","platform":{"os":"linux","architecture":"arm","variant":"v7"}},
            {"digest":"sha256:c","platform":{"os":"unknown","architecture":"unknown"}},
            {"digest":"sha256:d"}]}"#;
        let found = platforms(body).unwrap();
        let short: Vec<(&str, &str, Option<&str>, &str)> = found
            .iter()
            .map(|p| {
                (
                    p.os.as_str(),
                    p.architecture.as_str(),
                    p.variant.as_deref(),
                    p.digest.as_str(),
                )
            })
            .collect();
        assert_eq!(
            short,
            [
                ("linux", "amd64", None, "sha256:a"),
                ("linux", "arm", Some("v7"), "sha256:b")
            ]
        );
        assert!(platforms(b"{}").is_err());
    }
}
